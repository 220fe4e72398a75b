"""Webhooks: endpoints, the events they hear, signed delivery to a real receiver, SSRF."""
