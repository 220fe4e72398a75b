"""Webhooks: endpoints clinics register, signed deliveries, and the addresses they may reach."""
