"""The desk's Redis client (locks, the live hub's pub/sub): one place for how it retries."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis.asyncio import Redis

RETRIES = 3


def connect(url: str) -> Redis:
    """A client that retries a command on a fresh connection when its pooled one fails.

    redis-py retries nothing by default: after Redis restarts, every connection pooled before
    fails once when next used, and each would have cost a customer a "can't answer right
    now" (the lock) or an agent's live reply to another worker (the pub/sub). While Redis is
    really away, the retries add well under a second before the caller's own fallback."""
    from redis.asyncio import Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError, TimeoutError

    return Redis.from_url(url, retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), RETRIES),
                          retry_on_error=[ConnectionError, TimeoutError])
