"""The benchmark dataset: deterministic, rule-abiding, and written with COPY in seconds."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from asyncpg import Range
from sqlalchemy.ext.asyncio import AsyncSession

SEED = 20261201

CATEGORIES = (
    "Cardiology", "Dermatology", "Pediatrics", "General Medicine", "Orthopedics",
    "Gynecology", "ENT", "Neurology", "Psychiatry", "Ophthalmology",
    "Dentistry", "Gastroenterology", "Pulmonology", "Nephrology", "Urology",
    "Endocrinology", "Oncology", "Rheumatology", "Hematology", "Infectious Diseases",
    "Physiotherapy", "Homeopathy", "Ayurveda", "Diabetology", "Psychology",
    "Plastic Surgery", "General Surgery", "Neurosurgery", "Radiology", "Nutrition",
)  # fmt: skip
FIRST_NAMES = (
    "Asha", "Vikram", "Meera", "Rahul", "Farah", "Sunita", "Arjun", "Priya", "Sanjay", "Kavita",
    "Anil", "Deepa", "Rohan", "Sneha", "Imran", "Lakshmi", "Suresh", "Nandini", "Karthik", "Pooja",
    "Amitabh", "Ritu", "Gaurav", "Shalini", "Manoj", "Divya", "Nikhil", "Ananya", "Harish", "Zoya",
)  # fmt: skip
LAST_NAMES = (
    "Rao", "Sen", "Iyer", "Gupta", "Khan", "Das", "Nair", "Menon", "Patil", "Bose",
    "Sharma", "Reddy", "Chatterjee", "Mukherjee", "Pillai", "Joshi", "Kulkarni", "Banerjee",
    "Verma", "Agarwal", "Mehta", "Shah", "Singh", "Ghosh", "Kapoor", "Naidu", "Hegde", "Roy",
)  # fmt: skip
CITIES = (
    "Kolkata", "Mumbai", "Delhi", "Chennai", "Bengaluru", "Hyderabad", "Pune", "Ahmedabad",
    "Jaipur", "Lucknow", "Kochi", "Bhubaneswar", "Guwahati", "Patna", "Chandigarh", "Indore",
)  # fmt: skip
PATIENT_NAMES = ("Rina", "Amit", "Neha", "Karan", "Pooja", "Ravi", "Sita", "Arun", "Maya", "Dev")
# Weeks of the month a schedule runs: mostly every week, some alternate, some the last only.
WEEK_SETS: tuple[tuple[int, ...], ...] = ((),) * 6 + ((2, 4), (2, 4), (1, 3), (-1,))
PATIENT_POOL = 60_000  # distinct patients (phone + name); more than any session's queue
UNLIMITED_CAP = 60  # how many a session without a patient limit gets at most
PAST_DAYS = 56  # appointments go back eight weeks


@dataclass(frozen=True)
class BenchSize:
    categories: int = 30
    doctors: int = 2_000
    schedules_per_doctor: int = 4
    vacations: int = 400
    appointments: int = 200_000


BENCH = BenchSize()


@dataclass
class BenchPlan:
    """Rows to COPY, with ids local to the plan (0-based indexes) until written."""

    categories: list[str]
    doctors: list[tuple[Any, ...]]
    schedules: list[tuple[Any, ...]]
    vacations: list[tuple[int, date, date, str]]
    vacation_schedules: list[tuple[int, int, date, date]]
    appointments: list[tuple[Any, ...]] = field(default_factory=list)
    seats: list[tuple[int, date, int, int]] = field(default_factory=list)


def week_labels(day: date) -> set[int]:
    """The n-th occurrence of its weekday in the month, and -1 when it is the last."""
    labels = {(day.day - 1) // 7 + 1}
    if (day + timedelta(days=7)).month != day.month:
        labels.add(-1)
    return labels


def occurrences(weekday: int, weeks: Sequence[int], start: date, end: date) -> list[date]:
    day = start + timedelta(days=(weekday - start.weekday()) % 7)
    found = []
    while day <= end:
        if not weeks or week_labels(day) & set(weeks):
            found.append(day)
        day += timedelta(days=7)
    return found


def plan(*, now: datetime, zone: ZoneInfo, size: BenchSize = BENCH, seed: int = SEED) -> BenchPlan:
    """The whole dataset from a fixed seed: the same ``now`` gives the same rows."""
    rng = random.Random(seed)
    today = now.astimezone(zone).date()
    doctors = []
    for n in range(size.doctors):
        category = rng.randrange(size.categories)
        name = f"Dr. {rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        city = rng.choice(CITIES)
        years = rng.randint(2, 35)
        description = f"{CATEGORIES[category % len(CATEGORIES)]}, {years} years, in {city}."
        doctors.append((name, n, city, category, description, n % 3 != 0))
    schedules = []
    for doctor in range(size.doctors):
        # Distinct weekdays: a doctor's chambers can never fall on the same date, so never clash.
        for weekday in rng.sample(range(7), size.schedules_per_doctor):
            start = time(rng.randint(8, 19), rng.choice((0, 30)))
            end = time(start.hour + rng.randint(2, 3), start.minute)
            limited = rng.random() < 0.8
            shop = rng.random() < 0.3
            schedules.append(
                (
                    doctor,
                    weekday,
                    list(rng.choice(WEEK_SETS)),
                    start,
                    end,
                    rng.choice((7, 7, 7, 14)),
                    rng.choice((1, 2, 2, 4)),
                    50 * rng.randint(4, 24),
                    rng.randint(10, 40) if limited else None,
                    None if shop else f"{doctors[doctor][0][4:]} Clinic",
                    "Apollo Pharmacy" if shop else None,
                    f"{rng.randint(1, 300)} Market Road, {doctors[doctor][2]}",
                )
            )
    per_doctor = size.schedules_per_doctor
    vacations: list[tuple[int, date, date, str]] = []
    links: list[tuple[int, int, date, date]] = []
    # One vacation per chosen doctor: no two vacations can overlap on a schedule.
    for vacation, doctor in enumerate(rng.sample(range(size.doctors), size.vacations)):
        first = today + timedelta(days=rng.randint(-30, 60))
        last = first + timedelta(days=rng.randint(0, 9))
        vacations.append((doctor, first, last, rng.choice(("holiday", "conference", "family"))))
        own = range(doctor * per_doctor, (doctor + 1) * per_doctor)
        blocked = list(own) if rng.random() < 0.75 else rng.sample(own, rng.randint(1, per_doctor))
        links.extend((vacation, schedule, first, last) for schedule in sorted(blocked))
    result = BenchPlan(
        categories=list(CATEGORIES[: size.categories]),
        doctors=doctors,
        schedules=schedules,
        vacations=vacations,
        vacation_schedules=links,
    )
    _plan_appointments(result, rng, now=now, zone=zone, total=size.appointments)
    return result


def _plan_appointments(
    bench: BenchPlan, rng: random.Random, *, now: datetime, zone: ZoneInfo, total: int
) -> None:
    today = now.astimezone(zone).date()
    blocked = {
        (schedule, today + timedelta(days=offset))
        for _, schedule, first, last in bench.vacation_schedules
        for offset in range((first - today).days, (last - today).days + 1)
    }
    # Bookable occurrences: booking has opened by now, and no vacation blocks the date.
    slots: list[tuple[int, date, int, datetime, datetime]] = []
    for index, row in enumerate(bench.schedules):
        _, weekday, weeks, start, _, opens_days, closes_hours, _, limit, *_ = row
        horizon = today + timedelta(days=opens_days)
        for day in occurrences(weekday, weeks, today - timedelta(days=PAST_DAYS), horizon):
            if (index, day) in blocked:
                continue
            opens = datetime.combine(day - timedelta(days=opens_days), time(), zone)
            closes = datetime.combine(day, start, zone) - timedelta(hours=closes_hours)
            if closes <= opens:
                continue
            slots.append((index, day, limit or UNLIMITED_CAP, opens, min(closes, now)))
    counts = [0] * len(slots)
    remaining = total
    # A few sessions are full (queues at their limit), the rest fill at random.
    for slot in rng.sample(range(len(slots)), len(slots) // 30):
        take = min(slots[slot][2], remaining)
        counts[slot], remaining = take, remaining - take
    open_slots = [slot for slot in range(len(slots)) if counts[slot] < slots[slot][2]]
    while remaining:
        if not open_slots:
            raise ValueError(f"{total} appointments do not fit in {len(slots)} sessions")
        pick = rng.randrange(len(open_slots))
        slot = open_slots[pick]
        counts[slot] += 1
        remaining -= 1
        if counts[slot] == slots[slot][2]:
            open_slots[pick] = open_slots[-1]
            open_slots.pop()
    patient = 0
    for slot, count in enumerate(counts):
        if not count:
            continue
        schedule, day, _, opens, closes = slots[slot]
        span = (closes - opens).total_seconds()
        moments = sorted(opens + timedelta(seconds=rng.random() * span) for _ in range(count))
        booked = 0
        for queue, created in enumerate(moments, start=1):
            patient = (patient + 1) % PATIENT_POOL
            roll = rng.random()
            status = "BOOKED" if roll < 0.9 else "CANCELLED_BY_PATIENT" if roll < 0.97 else None
            status = status or "CANCELLED_BY_DOCTOR"
            booked += status == "BOOKED"
            cancelled = None if status == "BOOKED" else min(created + timedelta(hours=1), now)
            bench.appointments.append(
                (
                    schedule,
                    day,
                    queue,
                    f"{PATIENT_NAMES[patient % len(PATIENT_NAMES)]} Patient{patient}",
                    patient % 80 + 1,
                    f"+9170{patient:08d}",
                    status,
                    hashlib.sha256(f"bench-{schedule}-{day}-{queue}".encode()).hexdigest(),
                    None if cancelled is None else "plans changed",
                    cancelled,
                    created,
                )
            )
        bench.seats.append((schedule, day, booked, count))


Progress = Callable[[str, int], None]


async def write(
    session: AsyncSession,
    bench: BenchPlan,
    *,
    password_hash: str,
    time_zone: str,
    progress: Progress | None = None,
) -> dict[str, int]:
    """COPY the plan in the session's transaction; ids come from the tables' own sequences."""
    report = progress or (lambda _phase, _rows: None)
    connection = await (await session.connection()).get_raw_connection()
    db: Any = connection.driver_connection  # asyncpg: COPY is ~50x faster than INSERTs here
    now = datetime.now(UTC)

    async def ids(table: str, count: int) -> list[int]:
        rows = await db.fetch(
            "SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)",
            table,
            count,
        )
        return sorted(row[0] for row in rows)

    async def copy(table: str, columns: Sequence[str], records: list[tuple[Any, ...]]) -> None:
        for start in range(0, len(records), 20_000):
            chunk = records[start : start + 20_000]
            await db.copy_records_to_table(table, records=chunk, columns=list(columns))
            report(table, len(chunk))

    category_ids = await ids("categories", len(bench.categories))
    await copy("categories", ("id", "name"), list(zip(category_ids, bench.categories, strict=True)))
    doctor_ids = await ids("accounts", len(bench.doctors))
    public = await db.fetch(
        "SELECT nextval('doctor_public_number_seq') FROM generate_series(1, $1)", len(doctor_ids)
    )
    numbers = sorted(row[0] for row in public)
    doctors = [
        (
            doctor_ids[n], "DOCTOR", f"bench.doctor{n}@bench.medimyth.test", password_hash,
            "ACTIVE", numbers[n], name, f"+9198{n:08d}", f"BENCH-{n:05d}",
            f"{n % 200 + 1} Hospital Road", city, description,
            category_ids[category % len(category_ids)], time_zone, phone_visible, now,
        )
        for name, n, city, category, description, phone_visible in bench.doctors
    ]  # fmt: skip
    await copy(
        "accounts",
        ("id", "role", "email", "password_hash", "status", "public_number", "name", "phone",
         "registration_number", "address", "city", "description", "category_id", "time_zone",
         "phone_visible", "activated_at"),
        doctors,
    )  # fmt: skip
    schedule_ids = await ids("schedules", len(bench.schedules))
    await copy(
        "schedules",
        ("id", "doctor_id", "weekday", "weeks_of_month", "start_time", "end_time",
         "booking_opens_days_before", "booking_closes_hours_before", "fee", "patient_limit",
         "clinic_name", "medical_shop", "address"),
        [(schedule_ids[i], doctor_ids[row[0]], *row[1:]) for i, row in enumerate(bench.schedules)],
    )  # fmt: skip
    vacation_ids = await ids("vacations", len(bench.vacations))
    await copy(
        "vacations",
        ("id", "doctor_id", "start_date", "end_date", "reason"),
        [(vacation_ids[i], doctor_ids[d], *rest) for i, (d, *rest) in enumerate(bench.vacations)],
    )
    await copy(
        "vacation_schedules",
        ("vacation_id", "schedule_id", "period"),
        [
            (vacation_ids[v], schedule_ids[s], Range(first, last + timedelta(days=1)))
            for v, s, first, last in bench.vacation_schedules
        ],
    )
    await copy(
        "appointments",
        ("schedule_id", "session_date", "queue_number", "patient_name", "patient_age",
         "patient_phone", "status", "manage_token_hash", "cancellation_reason", "cancelled_at",
         "created_at"),
        [(schedule_ids[row[0]], *row[1:]) for row in bench.appointments],
    )  # fmt: skip
    await copy(
        "session_seats",
        ("schedule_id", "session_date", "booked_count", "last_queue_number"),
        [(schedule_ids[row[0]], *row[1:]) for row in bench.seats],
    )
    return {
        "categories": len(category_ids),
        "doctors": len(doctor_ids),
        "schedules": len(schedule_ids),
        "vacations": len(vacation_ids),
        "appointments": len(bench.appointments),
    }


def total_rows(bench: BenchPlan) -> int:
    """What ``write`` reports progress against."""
    return sum(
        len(rows)
        for rows in (
            bench.categories,
            bench.doctors,
            bench.schedules,
            bench.vacations,
            bench.vacation_schedules,
            bench.appointments,
            bench.seats,
        )
    )
