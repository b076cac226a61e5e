"""Activities (活动) and their reminders: audiences, planning, the outbox and fan-out, delivery through channels, digests, residents' choices, secret links, feeds, notices."""
