"""Patients beyond one booking: phone sign-in, every booking of a phone, moving a booking."""
