"""Reminders: the outbox, fan-out, delivery through channels, digests, residents' choices, secret links, feeds, notices."""
