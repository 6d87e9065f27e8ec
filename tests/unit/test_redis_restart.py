"""After Redis restarts, the desk's clients carry on: the connections they pooled before fail
once each, and a command retried on a fresh one is what answers the customer."""

from __future__ import annotations

import asyncio
import logging

import pytest
from fastapi.testclient import TestClient

from bot.datastores import RedisServer
from bot.desk.app import create_app
from bot.desk.broker import RedisBroker
from bot.launcher import free_port
from bot.locks import LockUnavailable, RedisLocks
from bot.settings import Settings

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


def test_a_desk_worker_starts_while_redis_is_down_and_hears_the_others_once_it_is_back(tmp_path, caplog):
    redis = RedisServer(tmp_path / "redis")  # its port, with nothing listening yet
    heard: list[dict] = []

    async def deliver(event: dict) -> None:
        heard.append(event)

    async def scenario() -> None:
        worker = RedisBroker(redis.url, subscribe_wait_s=0.5)
        with caplog.at_level(logging.WARNING):
            await asyncio.wait_for(worker.start(deliver, set), 5)  # starts, does not wait for Redis
        assert "Redis is unreachable" in caplog.text
        redis.start(durable=False)
        other = RedisBroker(redis.url)
        await other.start(deliver, set)
        for _ in range(100):  # the worker's listener reconnects on its own
            await other.publish({"type": "queue", "n": len(heard)})
            if heard:
                break
            await asyncio.sleep(0.1)
        await other.stop()
        await worker.stop()

    try:
        asyncio.run(scenario())
    finally:
        redis.stop()
    assert heard and heard[0]["type"] == "queue"


def test_a_desk_started_while_redis_is_down_keeps_every_message(desk_db_url):
    """Refusing to start would turn customers away unstored; started, the desk stores each
    message and says it will answer (recovery does once the locks are back)."""
    settings = Settings(database_url=desk_db_url, rasa_url=f"http://127.0.0.1:{free_port()}",
                        rasa_timeout_s=2, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    with TestClient(create_app(settings)) as client:
        created = client.post("/api/conversations").json()
        path, headers = f"/api/conversations/{created['id']}/messages", {"X-Conversation-Token": created["token"]}
        told = client.post(path, json={"text": "where is my order 10482"}, headers=headers)
        assert told.status_code == 503 and told.json()["code"] == "bot_unavailable"
        [stored] = client.get(path, headers=headers).json()["messages"]
    assert (stored["text"], stored["status"]) == ("where is my order 10482", "failed")
