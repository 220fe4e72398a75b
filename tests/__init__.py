"""MediMyth's test suite: specs organised by feature, run against real PostgreSQL."""
