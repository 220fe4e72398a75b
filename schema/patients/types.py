"""Patients' types: a phone's bookings as a connection of appointments."""

from __future__ import annotations

from resolvers.patients.bookings import PhoneBookings
from schema.booking.types import Appointment
from schema.platform.pagination import Connection

AppointmentConnection = Connection[Appointment]


def appointment_connection(found: PhoneBookings) -> AppointmentConnection:
    page = found.page
    return Connection.of(page, [Appointment.from_model(item) for item in page.items])
