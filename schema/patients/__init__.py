"""Patients' GraphQL: phone sign-in, myBookings, rescheduleMyAppointment."""
