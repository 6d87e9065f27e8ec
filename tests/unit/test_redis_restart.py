"""After Redis restarts, the desk's clients carry on: the connections they pooled before fail
once each, and a command retried on a fresh one is what answers the customer."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.datastores import RedisServer
from bot.desk.broker import RedisBroker
from bot.locks import LockUnavailable, RedisLocks

pytestmark = pytest.mark.redis


async def _hold_all(locks: RedisLocks, names: list[str]) -> None:
    async def hold(name: str) -> None:
        async with locks.hold(name):
            await asyncio.sleep(0.05)  # so that each holds its own pooled connection
    await asyncio.gather(*(hold(name) for name in names))


def test_locks_and_live_updates_work_at_once_after_redis_restarts(tmp_path, caplog):
    redis = RedisServer(tmp_path / "redis")
    redis.start(durable=False)

    async def scenario() -> None:
        locks, broker = RedisLocks(redis.url, lease_s=30), RedisBroker(redis.url)
        names = [f"conversation:{n}" for n in range(4)]
        await _hold_all(locks, names)
        await broker.publish({"type": "queue"})
        redis.stop()
        with pytest.raises(LockUnavailable):  # really away: the caller keeps the message
            await _hold_all(locks, names[:1])
        redis.start(durable=False)
        await _hold_all(locks, names)  # every stale connection, retried
        with caplog.at_level(logging.WARNING):
            await broker.publish({"type": "queue"})
        await locks.aclose()
        await broker.stop()

    try:
        asyncio.run(scenario())
    finally:
        redis.stop()
    assert "could not publish" not in caplog.text
