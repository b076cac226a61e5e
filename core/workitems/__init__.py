"""Work items with deadlines (工单/办件): a scene's state machine, clocks in working time, flags and the escalation chain."""
