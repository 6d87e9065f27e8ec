"""How often one client may open conversations and send messages, and a provider call a
channel's webhook (the `limits` library: moving windows, in memory or in Redis).

A refused request is answered 429 with `Retry-After`, and nothing of it is stored. When
Redis cannot be reached the limits let requests through (logged): a customer's message
must not be lost because the counters are."""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from bot.settings import Settings

log = logging.getLogger(__name__)
WARN_EVERY_S = 60.0


class RateLimited(Exception):
    def __init__(self, what: str, retry_after_s: int) -> None:
        super().__init__(f"too many {what}; try again in {retry_after_s} s")
        self.what = what
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Limit:
    what: str  # for the error: "new conversations", "messages", "webhook calls"
    item: RateLimitItem


class RateLimits:
    def __init__(self, settings: Settings, storage: Storage | None = None) -> None:
        self.storage = storage or (storage_from_string(settings.redis_url, wrap_exceptions=True)
                                   if settings.redis_url else MemoryStorage())
        self._warned_at = 0.0
        self._limiter = MovingWindowRateLimiter(self.storage)
        self.conversations = Limit("new conversations", parse(settings.rate_conversations_per_address))
        self.per_conversation = Limit("messages", parse(settings.rate_messages_per_conversation))
        self.per_address = Limit("messages", parse(settings.rate_messages_per_address))
        self.webhooks = Limit("webhook calls", parse(settings.rate_webhooks_per_channel))

    def hit(self, limit: Limit, *keys: str) -> None:
        """Count one request against the limit, or raise RateLimited (not counted)."""
        try:
            if self._limiter.hit(limit.item, limit.what, *keys):
                return
            reset_at, _ = self._limiter.get_window_stats(limit.item, limit.what, *keys)
        except StorageError as error:
            if time.monotonic() - self._warned_at > WARN_EVERY_S:
                log.warning("rate limits are off: their storage is unreachable (%s)", error)
                self._warned_at = time.monotonic()
            return
        raise RateLimited(limit.what, max(1, math.ceil(reset_at - time.time())))

    def message(self, conversation_id: str, address: str) -> None:
        self.hit(self.per_conversation, "conversation", conversation_id)
        self.hit(self.per_address, "address", address)


class WebhookLimit:
    """ASGI middleware: calls to `/webhooks/<channel>...` counted per channel, before any
    signature is checked (a flood costs one counter each); providers retry after a 429."""

    def __init__(self, app, limits: RateLimits) -> None:  # noqa: ANN001 (any ASGI app)
        self.app = app
        self.limits = limits

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001 (ASGI)
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path.startswith("/webhooks/") and scope.get("method") == "POST":
            try:
                self.limits.hit(self.limits.webhooks, "channel", path.split("/")[2])
            except RateLimited as refused:
                await too_many(send, refused)
                return
        await self.app(scope, receive, send)


async def too_many(send, refused: RateLimited) -> None:  # noqa: ANN001 (ASGI send)
    body = json.dumps({"error": str(refused), "retry_after_s": refused.retry_after_s}).encode()
    await send({"type": "http.response.start", "status": 429, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(refused.retry_after_s).encode())]})
    await send({"type": "http.response.body", "body": body})
