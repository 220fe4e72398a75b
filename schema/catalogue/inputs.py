"""The catalogue's inputs: the directory's filter."""

from __future__ import annotations

import strawberry

from resolvers.catalogue import doctors
from schema.platform.ids import int_id
from schema.platform.inputs import convert


@strawberry.input(description="Narrows the doctor directory; all parts are optional.")
class DoctorFilter:
    search: str | None = strawberry.field(
        default=None, description="Free text matched against name, description and specialty."
    )
    category_ids: list[strawberry.ID] | None = None
    city: str | None = None

    def to_resolver(self) -> doctors.DoctorFilter:
        # An id that is not one of ours (int_id's NO_SUCH_ID) matches nothing.
        return convert(
            self,
            doctors.DoctorFilter,
            category_ids=tuple(int_id(raw) for raw in self.category_ids or []),
        )
