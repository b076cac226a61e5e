"""neighbourhood's work: bodies and members, motions and meetings (council), the tally, the festival, figures."""
