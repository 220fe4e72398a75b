"""Demo data for a first look: categories, active doctors in several cities, schedules, bookings."""

from __future__ import annotations

import hashlib
from datetime import date, time, timedelta

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AccountRole, AppointmentStatus, DoctorStatus
from db.models import Account, Appointment, Category, Schedule, SessionSeats

CATEGORIES = (
    "Cardiology",
    "Dermatology",
    "Pediatrics",
    "General Medicine",
    "Orthopedics",
    "Gynecology",
    "ENT",
    "Neurology",
)

# name, email, city, category index, description
DOCTORS = (
    (
        "Asha Rao",
        "asha.rao",
        "Kolkata",
        0,
        "Cardiologist, 12 years; heart failure and hypertension.",
    ),
    (
        "Vikram Sen",
        "vikram.sen",
        "Kolkata",
        3,
        "Family physician for fevers, diabetes and check-ups.",
    ),
    ("Meera Iyer", "meera.iyer", "Chennai", 1, "Dermatologist: acne, eczema, hair and nail care."),
    ("Rahul Gupta", "rahul.gupta", "Delhi", 4, "Orthopedic surgeon, sports injuries and joints."),
    ("Farah Khan", "farah.khan", "Mumbai", 2, "Pediatrician for newborns to teenagers."),
    ("Sunita Das", "sunita.das", "Kolkata", 5, "Gynecologist and obstetrician, 15 years."),
    ("Arjun Nair", "arjun.nair", "Bengaluru", 6, "ENT specialist: sinus, hearing and throat."),
    (
        "Priya Menon",
        "priya.menon",
        "Bengaluru",
        7,
        "Neurologist: headaches, epilepsy, stroke care.",
    ),
    ("Sanjay Patil", "sanjay.patil", "Mumbai", 0, "Interventional cardiologist."),
    ("Kavita Bose", "kavita.bose", "Kolkata", 2, "Child specialist and vaccination clinic."),
)

PATIENTS = ("Rina Das", "Amit Roy", "Neha Shah", "Karan Mehta", "Pooja Sinha", "Ravi Kumar")


async def is_empty(session: AsyncSession) -> bool:
    accounts = await session.scalar(select(func.count()).select_from(Account))
    categories = await session.scalar(select(func.count()).select_from(Category))
    return not accounts and not categories


async def seed_demo(
    session: AsyncSession, *, password_hash: str, time_zone: str, today: date
) -> dict[str, int]:
    """Insert the demo data in one transaction; the caller commits."""
    category_ids = list(
        (
            await session.scalars(
                insert(Category).returning(Category.id), [{"name": name} for name in CATEGORIES]
            )
        ).all()
    )
    doctor_ids: list[int] = []
    for number, (name, handle, city, category, description) in enumerate(DOCTORS, start=1):
        doctor_id = await session.scalar(
            insert(Account)
            .values(
                role=AccountRole.DOCTOR,
                email=f"{handle}@demo.medimyth.test",
                password_hash=password_hash,
                status=DoctorStatus.ACTIVE,
                public_number=text("nextval('doctor_public_number_seq')"),
                name=f"Dr. {name}",
                phone=f"+9198300{number:05d}",
                registration_number=f"DEMO-{1000 + number}",
                address=f"{number} Demo Street",
                city=city,
                description=description,
                category_id=category_ids[category],
                time_zone=time_zone,
                phone_visible=number % 3 != 0,
                activated_at=func.now(),
            )
            .returning(Account.id)
        )
        assert doctor_id is not None
        doctor_ids.append(doctor_id)
    # One doctor waiting for an admin, so the admin console has something to do.
    await session.execute(
        insert(Account).values(
            role=AccountRole.DOCTOR,
            email="new.doctor@demo.medimyth.test",
            password_hash=password_hash,
            status=DoctorStatus.PENDING_ACTIVATION,
            name="Dr. Nikhil Verma",
            phone="+919830099999",
            registration_number="DEMO-9999",
            address="9 Pending Lane",
            city="Kolkata",
            category_id=category_ids[3],
            time_zone=time_zone,
        )
    )
    schedules = 0
    appointments = 0
    for index, doctor_id in enumerate(doctor_ids):
        for slot in range(2):
            weekday = (index + slot * 3) % 7
            schedule_id = await session.scalar(
                insert(Schedule)
                .values(
                    doctor_id=doctor_id,
                    weekday=weekday,
                    weeks_of_month=[] if slot == 0 else [2, 4],
                    start_time=time(10, 0) if slot == 0 else time(18, 0),
                    end_time=time(13, 0) if slot == 0 else time(20, 30),
                    fee=300 + 100 * (index % 5),
                    patient_limit=20 if slot == 0 else None,
                    clinic_name=f"{DOCTORS[index][2]} Care Clinic" if slot == 0 else None,
                    medical_shop=None if slot == 0 else "Apollo Pharmacy",
                    address=f"{10 + index} Market Road, {DOCTORS[index][2]}",
                )
                .returning(Schedule.id)
            )
            assert schedule_id is not None
            schedules += 1
            if slot == 0:
                session_date = _next_weekday(today, weekday)
                appointments += await _book(session, schedule_id, session_date, count=index % 4 + 1)
    return {
        "categories": len(category_ids),
        "doctors": len(doctor_ids) + 1,
        "schedules": schedules,
        "appointments": appointments,
    }


def _next_weekday(today: date, weekday: int) -> date:
    return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)


async def _book(session: AsyncSession, schedule_id: int, session_date: date, *, count: int) -> int:
    for queue_number in range(1, count + 1):
        name = PATIENTS[(schedule_id + queue_number) % len(PATIENTS)]
        await session.execute(
            insert(Appointment).values(
                schedule_id=schedule_id,
                session_date=session_date,
                queue_number=queue_number,
                patient_name=name,
                patient_age=20 + 7 * queue_number,
                patient_phone=f"+9190000{schedule_id:03d}{queue_number:02d}",
                status=AppointmentStatus.BOOKED,
                # Demo bookings have no usable manage token: nobody was shown one.
                manage_token_hash=hashlib.sha256(
                    f"demo-{schedule_id}-{queue_number}".encode()
                ).hexdigest(),
            )
        )
    await session.execute(
        insert(SessionSeats).values(
            schedule_id=schedule_id,
            session_date=session_date,
            booked_count=count,
            last_queue_number=count,
        )
    )
    return count
