"""The data of each webhook event: what a clinic's software learns, and never a phone number."""

from __future__ import annotations

from typing import Any

from db.enums import WebhookEvent
from db.models import Account, Appointment, ScheduleRecord
from resolvers.platform.outbox import WebhookEventDraft

# Phone numbers stay out on purpose: the patient's (the rule), and the doctor's
# and chamber's too, so one test can assert that no payload holds any phone at all.


def doctor_data(doctor: Account) -> dict[str, Any]:
    return {
        "id": str(doctor.id),
        "publicId": doctor.public_id,
        "name": doctor.name,
        "city": doctor.city,
        "timeZone": doctor.time_zone,
    }


def appointment_data(
    appointment: Appointment, schedule: ScheduleRecord, doctor: Account
) -> dict[str, Any]:
    return {
        "appointment": {
            "publicId": appointment.public_id,
            "status": appointment.status.value,
            "queueNumber": appointment.queue_number,
            "patientName": appointment.patient_name,
            "patientAge": appointment.patient_age,
            "cancellationReason": appointment.cancellation_reason,
        },
        "session": {
            "scheduleId": str(schedule.id),
            "date": appointment.session_date.isoformat(),
            "startTime": schedule.start_time.isoformat(timespec="minutes"),
            "endTime": (
                None
                if schedule.end_time is None
                else schedule.end_time.isoformat(timespec="minutes")
            ),
            "clinicName": schedule.clinic_name,
            "address": schedule.address,
        },
        "doctor": doctor_data(doctor),
    }


def appointment_event(
    event: WebhookEvent,
    appointment: Appointment,
    schedule: ScheduleRecord,
    doctor: Account,
    **extra: Any,
) -> WebhookEventDraft:
    """An appointment event for the doctor's endpoints and the admins'."""
    data = appointment_data(appointment, schedule, doctor) | extra
    return WebhookEventDraft(event=event, doctor_id=doctor.id, data=data)


def doctor_activated(doctor: Account) -> WebhookEventDraft:
    return WebhookEventDraft(
        event=WebhookEvent.DOCTOR_ACTIVATED,
        doctor_id=doctor.id,
        data={"doctor": doctor_data(doctor)},
    )
