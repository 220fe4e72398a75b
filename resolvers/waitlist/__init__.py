"""The waitlist of full sessions: joining, the entry, leaving, a phone's entries, expiry."""
