"""Who changed which example, response or article, when, and what it was before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from bot.db import Base, utcnow
from bot.desk.models import Agent


class StudioChange(Base):
    __tablename__ = "studio_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    kind: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(200))
    before: Mapped[str | None] = mapped_column(Text, nullable=True)
    after: Mapped[str | None] = mapped_column(Text, nullable=True)
    files: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


@dataclass(frozen=True)
class ChangeView:
    id: int
    who: str
    kind: str
    target: str
    before: str | None
    after: str | None
    files: list[str]
    at: str


class AuditLog:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def record(self, account_id: int, kind: str, target: str, before: str | None,
               after: str | None, files: list[str] | tuple[str, ...]) -> None:
        with self._sessions.begin() as session:
            session.add(StudioChange(account_id=account_id, kind=kind, target=target, before=before,
                                     after=after, files=list(files)))

    def recent(self, limit: int = 100) -> list[ChangeView]:
        with self._sessions() as session:
            rows = session.execute(select(StudioChange, Agent.display_name)
                                   .join(Agent, Agent.id == StudioChange.account_id)
                                   .order_by(StudioChange.id.desc()).limit(limit)).all()
        return [ChangeView(c.id, name, c.kind, c.target, c.before, c.after, list(c.files),
                           c.created_at.isoformat()) for c, name in rows]
