"""Booking in GraphQL: Session and Appointment, finding sessions, booking, managing."""
