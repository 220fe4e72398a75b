"""How outbox messages leave: written to the log (development) or POSTed to a gateway."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

import httpx

from db.enums import NotificationChannel
from settings import NotificationSender, Settings

logger = logging.getLogger("medimyth.notifications")

WEBHOOK_TIMEOUT_SECONDS = 10.0


class DeliveryError(Exception):
    """The message did not leave; the worker tries again later."""


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    channel: NotificationChannel
    recipient: str
    subject: str | None
    body: str


class Sender(Protocol):
    async def send(self, message: Message) -> None:
        """Deliver the message or raise DeliveryError."""
        ...


class LogSender:
    """Writes every message with its recipient to the log, so a developer can read OTP codes."""

    async def send(self, message: Message) -> None:
        subject = f" [{message.subject}]" if message.subject else ""
        logger.info(
            "%s to %s%s: %s", message.channel.value, message.recipient, subject, message.body
        )


class WebhookSender:
    """POSTs each message as JSON to a gateway (an SMS/email provider's or a relay's URL).

    Any 2xx answer counts as delivered; anything else, or no answer, is retried.
    """

    def __init__(self, url: str, *, client: httpx.AsyncClient | None = None) -> None:
        self.url = url
        self.client = client or httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT_SECONDS)

    async def send(self, message: Message) -> None:
        payload = {
            "id": message.id,
            "channel": message.channel.value,
            "recipient": message.recipient,
            "subject": message.subject,
            "body": message.body,
        }
        try:
            # The id lets the gateway drop a duplicate after a retry we could not confirm.
            response = await self.client.post(
                self.url, json=payload, headers={"Idempotency-Key": f"notification-{message.id}"}
            )
        except httpx.HTTPError as error:
            raise DeliveryError(f"webhook unreachable: {type(error).__name__}") from error
        if not response.is_success:
            raise DeliveryError(f"webhook answered HTTP {response.status_code}")

    async def close(self) -> None:
        await self.client.aclose()


def sender_from_settings(settings: Settings) -> LogSender | WebhookSender:
    if settings.notification_sender is NotificationSender.WEBHOOK:
        assert settings.notification_webhook_url is not None  # settings.py enforces it
        return WebhookSender(settings.notification_webhook_url)
    return LogSender()
