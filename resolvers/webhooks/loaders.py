"""Webhooks' loaders: an endpoint's newest deliveries, and each delivery's attempts."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select

from db.models import WebhookAttempt, WebhookDelivery
from resolvers.platform.loading import SessionLoader


class DeliveriesByEndpointIdLoader(SessionLoader[tuple[int, int], list[WebhookDelivery]]):
    """Keys (endpoint id, n): the endpoint's n newest deliveries, and one more when there are
    more (the caller's hasNextPage), newest first. One statement per distinct n."""

    async def batch_load_fn(self, keys: list[tuple[int, int]]) -> list[list[WebhookDelivery]]:
        by_limit: dict[int, list[int]] = defaultdict(list)
        for endpoint_id, limit in keys:
            by_limit[limit].append(endpoint_id)
        found: dict[tuple[int, int], list[WebhookDelivery]] = defaultdict(list)
        async with self.db.use() as session:
            for limit, endpoint_ids in by_limit.items():
                rank = (
                    func.row_number()
                    .over(
                        partition_by=WebhookDelivery.endpoint_id,
                        order_by=(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()),
                    )
                    .label("rank")
                )
                ranked = (
                    select(WebhookDelivery.id, rank)
                    .where(WebhookDelivery.endpoint_id.in_(endpoint_ids))
                    .subquery()
                )
                deliveries = await session.scalars(
                    select(WebhookDelivery)
                    .join(ranked, ranked.c.id == WebhookDelivery.id)
                    .where(ranked.c.rank <= limit + 1)
                    .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
                )
                for delivery in deliveries.all():
                    found[(delivery.endpoint_id, limit)].append(delivery)
        return [found.get(key, []) for key in keys]


class AttemptsByDeliveryIdLoader(SessionLoader[int, list[WebhookAttempt]]):
    """Every attempt of each delivery, oldest first."""

    async def batch_load_fn(self, keys: list[int]) -> list[list[WebhookAttempt]]:
        async with self.db.use() as session:
            attempts = (
                await session.scalars(
                    select(WebhookAttempt)
                    .where(WebhookAttempt.delivery_id.in_(keys))
                    .order_by(WebhookAttempt.attempted_at, WebhookAttempt.id)
                )
            ).all()
        grouped: dict[int, list[WebhookAttempt]] = defaultdict(list)
        for attempt in attempts:
            grouped[attempt.delivery_id].append(attempt)
        return [grouped.get(key, []) for key in keys]
