"""Scheduling in GraphQL: Schedule and Vacation, and the doctor's mutations on them."""
