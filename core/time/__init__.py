"""Time: the clock every 'now' comes from, and recurrence (RRULE, lunar dates, the official holiday calendar)."""
