"""Time: the clock every 'now' comes from, and recurrence (RRULE, lunar dates, the official holiday calendar)."""

#: The years a date may have anywhere in the API (births from 1900; plans up to 2199): no birth, event or
#: record of a community lies outside them, and time-zone arithmetic near year 1 or 9999 overflows.
FIRST_YEAR = 1900
LAST_YEAR = 2199
