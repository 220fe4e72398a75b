"""The waitlist's GraphQL: WaitlistEntry, joining and leaving, the entry for its token."""
