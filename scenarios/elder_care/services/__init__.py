"""elder_care's services, one module per aggregate: common (shared helpers), register, visits, alerts, occasions, nursing_home, metrics."""
