"""Webhooks in GraphQL: endpoints, their deliveries and attempts, and the mutations on them."""
