"""How the desk workers tell each other about live updates (bot.desk.live) and who is online.

`LocalBroker`: one worker, nothing to tell. `RedisBroker`: a thin layer over redis.asyncio:
events go out on one pub/sub channel (each worker skips its own), and each worker keeps the
agents it has online in a key with a short lease, renewed while it runs, so a worker that
dies stops counting its agents within the lease.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from bot.redis_client import connect

log = logging.getLogger(__name__)

Deliver = Callable[[dict[str, Any]], Awaitable[None]]
LocalAgents = Callable[[], set[int]]


class Broker(Protocol):
    async def start(self, deliver: Deliver, local_agents: LocalAgents) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, event: dict[str, Any]) -> None: ...
    async def agents_changed(self, agents: set[int]) -> None: ...
    async def agents_online(self, local: set[int]) -> int: ...


class LocalBroker:
    async def start(self, deliver: Deliver, local_agents: LocalAgents) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, event: dict[str, Any]) -> None:
        return None

    async def agents_changed(self, agents: set[int]) -> None:
        return None

    async def agents_online(self, local: set[int]) -> int:
        return len(local)


class RedisBroker:
    """A worker starts whether or not Redis is up: until it is, its own sockets get their
    updates and the others' wait (the listener keeps reconnecting)."""

    def __init__(self, url: str, prefix: str = "harbor:live", presence_lease_s: float = 15.0,
                 subscribe_wait_s: float = 3.0) -> None:
        self._redis = connect(url)
        self._channel = f"{prefix}:events"
        self._agents_prefix = f"{prefix}:agents:"
        self._worker = uuid.uuid4().hex
        self._lease_s = presence_lease_s
        self._subscribe_wait_s = subscribe_wait_s
        self._tasks: list[asyncio.Task] = []
        self._listening = asyncio.Event()

    async def start(self, deliver: Deliver, local_agents: LocalAgents) -> None:
        """Subscribed before it returns when Redis answers, so no update is missed then."""
        self._tasks = [asyncio.ensure_future(self._listen(deliver)),
                       asyncio.ensure_future(self._renew_presence(local_agents))]
        try:
            await asyncio.wait_for(self._listening.wait(), self._subscribe_wait_s)
        except asyncio.TimeoutError:
            log.warning("Redis is unreachable: this desk worker starts without other workers' "
                        "live updates, and subscribes when Redis is back")

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        try:
            await self._redis.delete(self._agents_prefix + self._worker)
        except Exception:  # Redis away: the presence lease ends it anyway
            log.warning("could not remove this worker's agents online", exc_info=True)
        await self._redis.aclose()

    async def publish(self, event: dict[str, Any]) -> None:
        try:
            await self._redis.publish(self._channel, json.dumps({"from": self._worker, **event}))
        except Exception:  # Redis away: this worker's own sockets were told already
            log.warning("could not publish a live update to the other desk workers", exc_info=True)

    async def agents_changed(self, agents: set[int]) -> None:
        key = self._agents_prefix + self._worker
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            if agents:
                pipe.sadd(key, *agents)
                pipe.expire(key, int(self._lease_s))
            await pipe.execute()

    async def agents_online(self, local: set[int]) -> int:
        try:
            keys = [key async for key in self._redis.scan_iter(match=self._agents_prefix + "*")]
            members = await self._redis.sunion(keys) if keys else set()
        except Exception:
            log.warning("could not count the agents online on other workers", exc_info=True)
            return len(local)
        return len({int(m) for m in members} | local)

    async def _listen(self, deliver: Deliver) -> None:
        interrupted = False
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(self._channel)
                    self._listening.set()
                    if interrupted:
                        log.warning("live updates from other desk workers resumed")
                        interrupted = False
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        event = json.loads(message["data"])
                        if event.pop("from", None) != self._worker:
                            await _safely(deliver, event)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if not interrupted:  # once per outage, not every second
                    log.warning("live updates from other desk workers interrupted (%s); reconnecting", error)
                    interrupted = True
                await asyncio.sleep(1)

    async def _renew_presence(self, local_agents: LocalAgents) -> None:
        while True:
            try:
                await self.agents_changed(local_agents())
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("could not renew this worker's agents online", exc_info=True)
            await asyncio.sleep(self._lease_s / 3)


async def _safely(deliver: Deliver, event: dict[str, Any]) -> None:
    try:
        await deliver(event)
    except Exception:  # one bad event (a database hiccup building the queue) must not stop the rest
        log.exception("could not deliver a live update from another desk worker")


def make_broker(redis_url: str | None) -> LocalBroker | RedisBroker:
    return RedisBroker(redis_url) if redis_url else LocalBroker()
