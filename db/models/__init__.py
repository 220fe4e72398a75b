"""Every ORM model, importable from one place (Alembic reads the metadata from here)."""

from db.base import Base
from db.models.accounts import (
    Account,
    Category,
    CategoryRecord,
    LoginAttempt,
    PublicDoctorRecord,
    doctor_public_number_seq,
    public_id_of,
)
from db.models.audit import AuditEvent
from db.models.booking import Appointment, LiveSession, SessionSeats
from db.models.feeds import CalendarFeedState
from db.models.messaging import Notification, OtpChallenge, OtpSendCount
from db.models.platform import RequestBudget
from db.models.scheduling import Schedule, ScheduleRecord, Vacation, VacationSchedule
from db.models.waitlist import WaitlistEntry
from db.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "Account",
    "Appointment",
    "AuditEvent",
    "Base",
    "CalendarFeedState",
    "Category",
    "CategoryRecord",
    "LiveSession",
    "LoginAttempt",
    "Notification",
    "OtpChallenge",
    "OtpSendCount",
    "PublicDoctorRecord",
    "RequestBudget",
    "Schedule",
    "ScheduleRecord",
    "SessionSeats",
    "Vacation",
    "VacationSchedule",
    "WaitlistEntry",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "doctor_public_number_seq",
    "public_id_of",
]
