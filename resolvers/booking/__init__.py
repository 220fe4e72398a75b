"""Booking: session occurrences, booking a place, and appointments after booking."""
