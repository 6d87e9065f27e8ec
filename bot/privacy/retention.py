"""Retention: a conversation idle for longer than `privacy_retention_days` loses its text
(bot.privacy.scrub), by `assistant privacy purge` and by a daily job in the running desk.
The same job erases the customers who asked the bot to delete their account once the
14-day grace the bot promised them is over."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from bot.db import utcnow
from bot.desk.models import Conversation, Message
from bot.locks import Locks
from bot.privacy.models import PrivacyRequest
from bot.privacy.scrub import anonymise_conversations
from bot.privacy.subject import erase_customer
from bot.privacy.tracker import TrackerEvents
from bot.profiles.models import Customer
from bot.profiles.store import DELETION_GRACE

log = logging.getLogger(__name__)
DAY_S = 24 * 3600.0


@dataclass(frozen=True)
class PurgeResult:
    cutoff: datetime
    counts: dict[str, int]

    def describe(self) -> str:
        if not self.counts.get("conversations"):
            return f"nothing idle since before {self.cutoff:%Y-%m-%d %H:%M} UTC"
        return (f"anonymised conversations idle since before {self.cutoff:%Y-%m-%d %H:%M} UTC: "
                + ", ".join(f"{kind} {count}" for kind, count in sorted(self.counts.items())))


def expired(session: Session, cutoff: datetime) -> list[str]:
    """Conversations not yet anonymised with nothing written since the cutoff."""
    recent = exists().where(Message.conversation_id == Conversation.id, Message.created_at >= cutoff)
    return list(session.scalars(select(Conversation.id).where(
        Conversation.anonymised_at.is_(None), Conversation.created_at < cutoff, ~recent)))


def purge(sessions: sessionmaker[Session], tracker: TrackerEvents, days: int,
          requested_by: str, now: datetime | None = None) -> PurgeResult:
    now = now or utcnow()
    cutoff = now - timedelta(days=days)
    with sessions.begin() as session:
        ids = expired(session, cutoff)
        if not ids:
            return PurgeResult(cutoff, {})
        counts = anonymise_conversations(session, ids, now)
        request = PrivacyRequest(kind="purge", requested_by=requested_by, counts=counts, at=now)
        session.add(request)  # with the anonymisation, in one transaction
    counts = {**counts, "tracker_events": tracker.delete(ids)}
    with sessions.begin() as session:
        session.get(PrivacyRequest, request.id).counts = counts
    return PurgeResult(cutoff, counts)


def erase_due(sessions: sessionmaker[Session], tracker: TrackerEvents, keeps: list[str],
              now: datetime | None = None) -> list[str]:
    """Erase the customers whose own deletion request is past its grace; their ids."""
    now = now or utcnow()
    with sessions() as session:
        due = list(session.scalars(select(Customer.id).where(
            Customer.deletion_requested_at <= now - DELETION_GRACE, Customer.erased_at.is_(None))))
    for customer_id in due:
        erase_customer(sessions, tracker, customer_id, "customer (asked in chat)", keeps)
    return due


class RetentionJob:
    """Purges (and erases what is due) once soon after the desk starts, then every day; one
    desk worker at a time."""

    def __init__(self, sessions: sessionmaker[Session], tracker: TrackerEvents, days: int, locks: Locks,
                 keeps: list[str], first_after_s: float = 60.0, every_s: float = DAY_S) -> None:
        self._sessions, self._tracker, self._days, self._locks = sessions, tracker, days, locks
        self._keeps = keeps
        self._first_after_s, self._every_s = first_after_s, every_s
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        await asyncio.sleep(self._first_after_s)
        while True:
            try:
                async with self._locks.try_hold("privacy:retention") as held:
                    if held and self._days > 0:
                        result = await run_in_threadpool(purge, self._sessions, self._tracker, self._days,
                                                         "retention")
                        log.warning("retention: %s", result.describe())
                    if held:
                        erased = await run_in_threadpool(erase_due, self._sessions, self._tracker, self._keeps)
                        log.warning("retention: erased %d customer(s) whose own deletion request is past "
                                    "its grace", len(erased))
            except Exception:  # the next day tries again; the desk keeps serving
                log.exception("retention: the purge failed")
            await asyncio.sleep(self._every_s)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._tracker.dispose()
