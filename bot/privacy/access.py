"""Who opened whose data: each console view of a conversation or a customer's profile."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.console.accounts import Account
from bot.privacy.models import AccessEntry


@dataclass(frozen=True)
class AccessView:
    at: datetime
    username: str
    role: str
    what: str
    subject: str
    via: str


class AccessLog:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def record(self, viewer: Account, via: str, conversation_id: str | None = None,
               customer_id: str | None = None) -> None:
        entries = [AccessEntry(account_id=viewer.id, username=viewer.username, role=viewer.role.value, what=what,
                               subject=subject, via=via)
                   for what, subject in (("conversation", conversation_id), ("profile", customer_id)) if subject]
        with self._sessions.begin() as session:
            session.add_all(entries)

    def read(self, subject: str | None = None, username: str | None = None, limit: int = 100) -> list[AccessView]:
        query = select(AccessEntry).order_by(AccessEntry.id.desc()).limit(limit)
        if subject:
            query = query.where(AccessEntry.subject == subject)
        if username:
            query = query.where(AccessEntry.username == username)
        with self._sessions() as session:
            return [AccessView(e.at, e.username, e.role, e.what, e.subject, e.via) for e in session.scalars(query)]
