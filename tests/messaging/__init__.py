"""Specs for messaging: the outbox worker and its senders."""
