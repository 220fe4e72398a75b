"""DataLoaders: one batched query per kind of nested lookup, created fresh for every request.

Each loader says what it reads: entities (``select(Model)`` then ``.scalars()``)
or column tuples (``select(Model.a, Model.b)`` then rows). Each returns one
result per key, in key order, and borrows the request's session through
``RequestSession.use()`` so batches never share it concurrently. Loaders are
named ``<Thing>By<Key>Loader``.
"""

from __future__ import annotations

from db.session import RequestSession
from resolvers.loaders.catalog import (
    AccountByIdLoader,
    ActiveDoctorCountByCategoryIdLoader,
    CategoryByIdLoader,
    SchedulesByDoctorIdLoader,
)
from resolvers.loaders.sessions import (
    ScheduleByIdLoader,
    SchedulesByVacationIdLoader,
    SessionFactsByScheduleWindowLoader,
    VacationsByDoctorIdLoader,
)


class Loaders:
    """The request's loaders; a new set per request so nothing is cached across users."""

    def __init__(self, db: RequestSession) -> None:
        self.category_by_id = CategoryByIdLoader(db)
        self.account_by_id = AccountByIdLoader(db)
        self.schedules_by_doctor_id = SchedulesByDoctorIdLoader(db)
        self.active_doctor_count_by_category_id = ActiveDoctorCountByCategoryIdLoader(db)
        self.schedule_by_id = ScheduleByIdLoader(db)
        self.session_facts_by_schedule_window = SessionFactsByScheduleWindowLoader(db)
        self.vacations_by_doctor_id = VacationsByDoctorIdLoader(db)
        self.schedules_by_vacation_id = SchedulesByVacationIdLoader(db)
