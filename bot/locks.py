"""Named locks: one conversation's messages are never answered in parallel, and one desk
worker at a time sweeps for owed answers or sends a conversation's queued replies.

In-process (asyncio) for one desk worker; in Redis (redis-py's lock: SET NX with a lease,
released by a script that checks the owner) when several workers share the work. A lease
outlives the longest turn, so a worker that dies holding a lock frees it when it runs out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol
from weakref import WeakValueDictionary

from bot.redis_client import connect

log = logging.getLogger(__name__)


class LockUnavailable(RuntimeError):
    """The lock store (Redis) cannot be reached: the caller keeps what it must and retries later."""


class Locks(Protocol):
    # True when other processes hold the same locks (work seen by one may be done by another).
    shared: bool

    def hold(self, name: str) -> asyncio.AbstractAsyncContextManager[None]:
        """Wait for the lock, hold it for the block; LockUnavailable before the block runs
        when the lock store is unreachable."""

    def try_hold(self, name: str) -> asyncio.AbstractAsyncContextManager[bool]:
        """Hold the lock for the block if it is free now; yields whether it was (or raises
        LockUnavailable, as `hold`)."""

    async def aclose(self) -> None: ...


class LocalLocks:
    shared = False

    def __init__(self) -> None:
        # A lock lives only while someone holds or waits for it.
        self._locks: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(name, asyncio.Lock())
        async with lock:
            yield

    @asynccontextmanager
    async def try_hold(self, name: str) -> AsyncIterator[bool]:
        lock = self._locks.setdefault(name, asyncio.Lock())
        if lock.locked():
            yield False
            return
        async with lock:
            yield True

    async def aclose(self) -> None:
        return None


class RedisLocks:
    shared = True

    def __init__(self, url: str, lease_s: float, prefix: str = "harbor:lock:") -> None:
        # A retried SET whose first reply was lost finds the lock held by its own token and
        # waits out the lease: rare (the connection must drop mid-command), and never a
        # second holder.
        self._redis = connect(url)
        self._lease_s = lease_s
        self._prefix = prefix

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[None]:
        lock = self._redis.lock(self._prefix + name, timeout=self._lease_s, sleep=0.02)
        await self._acquire(lock)
        try:
            yield
        finally:
            await self._release(lock, name)

    @asynccontextmanager
    async def try_hold(self, name: str) -> AsyncIterator[bool]:
        lock = self._redis.lock(self._prefix + name, timeout=self._lease_s)
        if not await self._acquire(lock, blocking=False):
            yield False
            return
        try:
            yield True
        finally:
            await self._release(lock, name)

    @staticmethod
    async def _acquire(lock: object, blocking: bool = True) -> bool:
        from redis.exceptions import ConnectionError, TimeoutError

        try:
            return await lock.acquire(blocking=blocking)  # type: ignore[attr-defined]
        except (ConnectionError, TimeoutError) as error:
            raise LockUnavailable(f"the lock store (Redis) is unreachable: {error}") from error

    @staticmethod
    async def _release(lock: object, name: str) -> None:
        from redis.exceptions import ConnectionError, LockError, TimeoutError

        try:
            await lock.release()  # type: ignore[attr-defined]
        except LockError:  # the lease ran out first; another worker may hold it now
            log.warning("lock %s was held past its lease", name)
        except (ConnectionError, TimeoutError):  # the work is done; the lease frees the lock
            log.warning("lock %s could not be released: Redis is unreachable", name)

    async def aclose(self) -> None:
        await self._redis.aclose()


def make_locks(redis_url: str | None, lease_s: float) -> LocalLocks | RedisLocks:
    return RedisLocks(redis_url, lease_s) if redis_url else LocalLocks()
