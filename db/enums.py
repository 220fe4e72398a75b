"""Enumerations stored in the database as checked text, shared by every layer."""

from __future__ import annotations

from enum import StrEnum


class AccountRole(StrEnum):
    DOCTOR = "DOCTOR"
    ADMIN = "ADMIN"


class DoctorStatus(StrEnum):
    PENDING_ACTIVATION = "PENDING_ACTIVATION"
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"


class AppointmentStatus(StrEnum):
    BOOKED = "BOOKED"
    CANCELLED_BY_PATIENT = "CANCELLED_BY_PATIENT"
    CANCELLED_BY_DOCTOR = "CANCELLED_BY_DOCTOR"
    ARRIVED = "ARRIVED"
    NO_SHOW = "NO_SHOW"
    COMPLETED = "COMPLETED"
    # Called by the doctor (callNext) and not yet done: at most one per session.
    IN_CONSULTATION = "IN_CONSULTATION"


class LiveState(StrEnum):
    """Where a session occurrence is on its day."""

    NOT_STARTED = "NOT_STARTED"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    ENDED = "ENDED"


class WaitlistStatus(StrEnum):
    """A waitlist entry's state: waiting, booked into a freed seat, left, or out of time."""

    WAITING = "WAITING"
    PROMOTED = "PROMOTED"
    LEFT = "LEFT"
    EXPIRED = "EXPIRED"


class OtpPurpose(StrEnum):
    REGISTER_DOCTOR = "REGISTER_DOCTOR"
    RESET_PASSWORD = "RESET_PASSWORD"
    BOOK_APPOINTMENT = "BOOK_APPOINTMENT"
    MANAGE_APPOINTMENTS = "MANAGE_APPOINTMENTS"


class NotificationChannel(StrEnum):
    SMS = "SMS"
    EMAIL = "EMAIL"


class NotificationStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    # Not sent, on purpose: a reminder whose appointment was cancelled or whose session began.
    SKIPPED = "SKIPPED"


class WebhookEvent(StrEnum):
    """What an endpoint can subscribe to; the wire name (``appointment.booked``) is derived."""

    APPOINTMENT_BOOKED = "APPOINTMENT_BOOKED"
    APPOINTMENT_CANCELLED = "APPOINTMENT_CANCELLED"
    APPOINTMENT_STATUS_CHANGED = "APPOINTMENT_STATUS_CHANGED"
    DOCTOR_ACTIVATED = "DOCTOR_ACTIVATED"
    # In the catalogue for the live-session capability; nothing emits it until that lands.
    SESSION_DELAYED = "SESSION_DELAYED"
    WEBHOOK_TEST = "WEBHOOK_TEST"

    @property
    def wire_name(self) -> str:
        """The body's ``type``: APPOINTMENT_STATUS_CHANGED -> appointment.status_changed."""
        noun, _, verb = self.value.lower().partition("_")
        return f"{noun}.{verb}"


class WebhookDeliveryStatus(StrEnum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


# Weeks of the month are stored as small integers: the n-th occurrence of the
# weekday (1..5), and -1 for the last one, as in Python's negative indexing.
LAST_WEEK = -1
WEEK_VALUES = (1, 2, 3, 4, 5, LAST_WEEK)


class AuditAction(StrEnum):
    """A security-relevant action the audit trail records."""

    LOGIN_SUCCEEDED = "LOGIN_SUCCEEDED"
    LOGIN_FAILED = "LOGIN_FAILED"
    PASSWORD_CHANGED = "PASSWORD_CHANGED"
    PASSWORD_CHANGE_FAILED = "PASSWORD_CHANGE_FAILED"
    PASSWORD_RESET = "PASSWORD_RESET"
    DOCTOR_ACTIVATED = "DOCTOR_ACTIVATED"
    DOCTOR_SUSPENDED = "DOCTOR_SUSPENDED"
    CATEGORY_CREATED = "CATEGORY_CREATED"
    CATEGORY_RENAMED = "CATEGORY_RENAMED"
    APPOINTMENT_CANCELLED_BY_DOCTOR = "APPOINTMENT_CANCELLED_BY_DOCTOR"
    SCHEDULE_DELETED = "SCHEDULE_DELETED"
    APPOINTMENTS_CANCELLED_FOR_VACATION = "APPOINTMENTS_CANCELLED_FOR_VACATION"
    ADMIN_CREATED = "ADMIN_CREATED"
    CALENDAR_FEED_ROTATED = "CALENDAR_FEED_ROTATED"
    WEBHOOK_ENDPOINT_CREATED = "WEBHOOK_ENDPOINT_CREATED"
    WEBHOOK_SECRET_ROTATED = "WEBHOOK_SECRET_ROTATED"
    WEBHOOK_ENDPOINT_DELETED = "WEBHOOK_ENDPOINT_DELETED"


class ActorKind(StrEnum):
    """Who performed an audited action."""

    DOCTOR = "DOCTOR"
    ADMIN = "ADMIN"
    ANONYMOUS = "ANONYMOUS"
    SYSTEM = "SYSTEM"


class AuditTargetKind(StrEnum):
    """What an audited action was done to."""

    ACCOUNT = "ACCOUNT"
    CATEGORY = "CATEGORY"
    APPOINTMENT = "APPOINTMENT"
    SCHEDULE = "SCHEDULE"
    VACATION = "VACATION"
    WEBHOOK = "WEBHOOK"


class OtpBudgetScope(StrEnum):
    """Whose hourly OTP sending budget a counter spends: a client address, a phone prefix, all."""

    ADDRESS = "ADDRESS"
    PREFIX = "PREFIX"
    GLOBAL = "GLOBAL"
