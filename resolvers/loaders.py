"""The request's DataLoaders, gathered from each domain's loaders module; fresh per request.

Each loader says what it reads: entities (``select(Model)`` then ``.scalars()``)
or column tuples (``select(Model.a, Model.b)`` then rows). Each returns one
result per key, in key order, and borrows the request's session through
``RequestSession.use()`` so batches never share it concurrently. Loaders are
named ``<Thing>By<Key>Loader``.
"""

from __future__ import annotations

from functools import cached_property

from db.session import RequestSession
from resolvers.booking.loaders import (
    AppointmentByIdLoader,
    ScheduleByIdLoader,
    SessionFactsByScheduleWindowLoader,
)
from resolvers.booking.next_session import NextAvailableSessionByDoctorLoader
from resolvers.catalogue.loaders import (
    AccountByIdLoader,
    ActiveDoctorCountByCategoryIdLoader,
    CategoryByIdLoader,
    SchedulesByDoctorIdLoader,
)
from resolvers.live.loaders import BoardBySessionLoader
from resolvers.scheduling.loaders import SchedulesByVacationIdLoader, VacationsByDoctorIdLoader
from resolvers.webhooks.loaders import AttemptsByDeliveryIdLoader, DeliveriesByEndpointIdLoader


class Loaders:
    """The request's loaders; a new set per request so nothing is cached across users.

    Each loader is made on first use: most requests need two or three of them, and
    making a DataLoader costs a few microseconds (aiodataloader inspects its batch
    function), paid on every request otherwise.
    """

    def __init__(self, db: RequestSession) -> None:
        self._db = db

    @cached_property
    def category_by_id(self) -> CategoryByIdLoader:
        return CategoryByIdLoader(self._db)

    @cached_property
    def account_by_id(self) -> AccountByIdLoader:
        return AccountByIdLoader(self._db)

    @cached_property
    def schedules_by_doctor_id(self) -> SchedulesByDoctorIdLoader:
        return SchedulesByDoctorIdLoader(self._db)

    @cached_property
    def active_doctor_count_by_category_id(self) -> ActiveDoctorCountByCategoryIdLoader:
        return ActiveDoctorCountByCategoryIdLoader(self._db)

    @cached_property
    def schedule_by_id(self) -> ScheduleByIdLoader:
        return ScheduleByIdLoader(self._db)

    @cached_property
    def session_facts_by_schedule_window(self) -> SessionFactsByScheduleWindowLoader:
        return SessionFactsByScheduleWindowLoader(self._db)

    @cached_property
    def next_available_session_by_doctor(self) -> NextAvailableSessionByDoctorLoader:
        return NextAvailableSessionByDoctorLoader(self._db)

    @cached_property
    def vacations_by_doctor_id(self) -> VacationsByDoctorIdLoader:
        return VacationsByDoctorIdLoader(self._db)

    @cached_property
    def schedules_by_vacation_id(self) -> SchedulesByVacationIdLoader:
        return SchedulesByVacationIdLoader(self._db)

    @cached_property
    def deliveries_by_endpoint_id(self) -> DeliveriesByEndpointIdLoader:
        return DeliveriesByEndpointIdLoader(self._db)

    @cached_property
    def attempts_by_delivery_id(self) -> AttemptsByDeliveryIdLoader:
        return AttemptsByDeliveryIdLoader(self._db)

    @cached_property
    def board_by_session(self) -> BoardBySessionLoader:
        return BoardBySessionLoader(self._db)

    @cached_property
    def appointment_by_id(self) -> AppointmentByIdLoader:
        return AppointmentByIdLoader(self._db)
