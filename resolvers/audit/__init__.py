"""Audit: the append-only trail of security-relevant actions, written and paged."""
