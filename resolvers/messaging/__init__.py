"""Messaging: the outbox worker and the senders that deliver its messages."""
