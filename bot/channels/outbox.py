"""The durable delivery outbox: every reply to a channel customer is a row first, then sent by
a worker with retries and backoff; a restart resumes what was not sent, and a conversation's
replies go out in order (a reply waits while an earlier one of its conversation is retried)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from bot.channels.models import Delivery, DeliveryStatus
from bot.db import aware, utcnow
from bot.desk.metrics import DeskMetrics
from bot.locks import LocalLocks, LockUnavailable, Locks

log = logging.getLogger(__name__)


class SendFailed(Exception):
    """The provider did not take the message; `retry` says whether trying again can help."""

    def __init__(self, reason: str, retry: bool, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.retry = retry
        self.retry_after_s = retry_after_s


# After a round that failed (Redis or the database unreachable), the next one comes this soon.
AFTER_FAILED_ROUND_S = 0.5

# Sends one stored payload to one recipient, or raises SendFailed.
Send = Callable[[str, dict], Awaitable[None]]


@dataclass(frozen=True)
class Due:
    queues: list[list[Delivery]]  # each conversation's pending deliveries whose time has come
    next_at: datetime | None  # when the first of the others comes due (a retry), if any


@dataclass(frozen=True)
class DeliveryView:
    id: int
    message_id: int | None
    status: str
    attempts: int
    last_error: str | None


class Outbox:
    def __init__(self, sessions: sessionmaker[Session], max_attempts: int = 8,
                 base_delay_s: float = 0.5, max_delay_s: float = 300.0) -> None:
        self._sessions = sessions
        self.max_attempts = max_attempts
        self._base = base_delay_s
        self._max = max_delay_s

    def enqueue(self, conversation_id: str, channel: str, recipient: str,
                payloads: list[tuple[int | None, dict]],
                also: Callable[[Session], None] | None = None) -> list[int]:
        """Store (message id, provider payload) pairs to send, in this order (and whatever
        `also` writes, in the same transaction)."""
        rows = [Delivery(conversation_id=conversation_id, message_id=message_id, channel=channel,
                         recipient=recipient, payload=payload) for message_id, payload in payloads]
        with self._sessions.begin() as session:
            session.add_all(rows)
            if also is not None:
                also(session)
        return [row.id for row in rows]

    def due(self, limit: int = 500) -> Due:
        """Each conversation's pending deliveries in order, if the first one's time has come
        (a later one never overtakes an earlier one that is waiting to be retried)."""
        with self._sessions() as session:
            pending = session.scalars(select(Delivery).where(Delivery.status == DeliveryStatus.pending)
                                      .order_by(Delivery.id).limit(limit)).all()
        queues: dict[str, list[Delivery]] = {}
        for delivery in pending:
            queues.setdefault(delivery.conversation_id, []).append(delivery)
        now, due, waiting = utcnow(), [], []
        for queue in queues.values():
            at = aware(queue[0].next_attempt_at)
            if at <= now:
                due.append(queue)
            else:
                waiting.append(at)
        return Due(due, min(waiting, default=None))

    def still_pending(self, delivery_ids: list[int]) -> list[Delivery]:
        """Those of these deliveries nobody has sent meanwhile (another desk worker may have)."""
        with self._sessions() as session:
            return list(session.scalars(select(Delivery).where(
                Delivery.id.in_(delivery_ids), Delivery.status == DeliveryStatus.pending)
                .order_by(Delivery.id)).all())

    def sent(self, delivery_ids: list[int]) -> None:
        with self._sessions.begin() as session:
            session.execute(update(Delivery).where(Delivery.id.in_(delivery_ids)).values(
                status=DeliveryStatus.sent, sent_at=utcnow(), attempts=Delivery.attempts + 1))

    def failed_attempt(self, delivery_id: int, error: SendFailed) -> bool:
        """Retry later with exponential backoff (or the provider's Retry-After), or give up
        (then True)."""
        with self._sessions.begin() as session:
            row = session.get(Delivery, delivery_id)
            row.attempts += 1
            row.last_error = str(error)[:1000]
            if not error.retry or row.attempts >= self.max_attempts:
                row.status = DeliveryStatus.failed
                return True
            delay = error.retry_after_s or min(self._max, self._base * 2 ** (row.attempts - 1))
            row.next_attempt_at = utcnow() + timedelta(seconds=delay)
            return False

    def for_conversation(self, conversation_id: str) -> list[DeliveryView]:
        with self._sessions() as session:
            rows = session.scalars(select(Delivery).where(Delivery.conversation_id == conversation_id)
                                   .order_by(Delivery.id)).all()
        return [DeliveryView(r.id, r.message_id, r.status.value, r.attempts, r.last_error) for r in rows]


class OutboxWorker:
    """Sends due deliveries; woken at once by `wake()` after an enqueue, at a retry's time,
    and otherwise looks every `poll_s` (for what another desk worker left when it stopped).
    With several desk workers, one worker at a time sends a conversation's queue (a shared
    lock)."""

    def __init__(self, outbox: Outbox, senders: dict[str, Send], poll_s: float = 5.0,
                 locks: Locks | None = None, metrics: DeskMetrics | None = None) -> None:
        self._outbox = outbox
        self._metrics = metrics or DeskMetrics()  # unscraped when none is given
        self._locks = locks or LocalLocks()
        self._senders = senders
        self._poll_s = poll_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._stopping = False

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.ensure_future(self._run())

    async def stop(self, timeout_s: float = 10.0) -> None:
        """Let the round in progress finish (what was sent gets marked sent), then stop."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(self._task, timeout_s)
        except asyncio.TimeoutError:  # a provider hanging: unmarked rows are resent after restart
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while not self._stopping:
            wait_s = self._poll_s
            self._wake.clear()  # before the round: an enqueue during it wakes the next one
            try:
                due = await run_in_threadpool(self._outbox.due)
                await asyncio.gather(*(self._send_queue(queue) for queue in due.queues))
                if due.queues:
                    continue  # more may have come due meanwhile
                if due.next_at is not None:
                    wait_s = min(wait_s, max(0.0, (due.next_at - utcnow()).total_seconds()))
            except LockUnavailable:  # Redis is down: the rows wait, unsent, for a later round
                log.warning("outbox worker: the lock store (Redis) is unreachable; deliveries wait")
                wait_s = min(wait_s, AFTER_FAILED_ROUND_S)
            except Exception:  # a broken row or database hiccup must not stop deliveries
                log.exception("outbox worker: delivery round failed")
                wait_s = min(wait_s, AFTER_FAILED_ROUND_S)
            if not self._stopping:
                try:
                    await asyncio.wait_for(self._wake.wait(), wait_s)
                except asyncio.TimeoutError:
                    pass

    async def _send_queue(self, queue: list[Delivery]) -> None:
        async with self._locks.try_hold(f"outbox:{queue[0].conversation_id}") as held:
            if not held:
                return  # another worker is sending this conversation's replies
            if self._locks.shared:
                queue = await run_in_threadpool(self._outbox.still_pending, [d.id for d in queue])
            await self._send_in_order(queue)

    async def _send_in_order(self, queue: list[Delivery]) -> None:
        """One conversation's deliveries back to back, marked sent together once the queue
        is through (a failure stops the queue until its retry)."""
        sent: list[int] = []
        try:
            for delivery in queue:
                send = self._senders.get(delivery.channel)
                try:
                    if send is None:
                        raise SendFailed(f"the {delivery.channel} channel is not configured", retry=False)
                    with self._metrics.timed("delivery"):
                        await send(delivery.recipient, delivery.payload)
                except SendFailed as error:
                    log.warning("delivery %s on %s failed: %s", delivery.id, delivery.channel, error)
                    if await run_in_threadpool(self._outbox.failed_attempt, delivery.id, error):
                        self._metrics.failed_deliveries.labels(delivery.channel).inc()
                    if error.retry:
                        return
                    continue  # given up on: the next ones go on
                sent.append(delivery.id)
        finally:
            if sent:
                await run_in_threadpool(self._outbox.sent, sent)
