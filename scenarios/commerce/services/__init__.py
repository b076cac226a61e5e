"""commerce services: one module per aggregate."""
