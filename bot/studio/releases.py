"""Published models: which one serves, how each scored, who published it and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from bot.db import Base, utcnow
from bot.desk.models import Agent


class ModelRelease(Base):
    __tablename__ = "model_releases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_path: Mapped[str] = mapped_column(String(500))
    fingerprint: Mapped[str] = mapped_column(String(32))
    accuracy: Mapped[float | None] = mapped_column(Float, nullable=True)
    previous_accuracy: Mapped[float | None] = mapped_column(Float, nullable=True)
    eval_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    stories_passed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), nullable=True)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    override_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)


@dataclass(frozen=True)
class ReleaseView:
    id: int
    model: str
    fingerprint: str
    accuracy: float | None
    previous_accuracy: float | None
    eval_size: int | None
    stories_passed: bool | None
    published_by: str | None
    published_at: str
    override_reason: str | None
    note: str | None
    active: bool


class ReleaseLog:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def add(self, model_path: str, fingerprint: str, accuracy: float | None,
            previous_accuracy: float | None, eval_size: int | None, stories_passed: bool | None,
            published_by: int | None, override_reason: str | None = None,
            note: str | None = None) -> int:
        """Record a model that now serves; every other release stops being the active one."""
        with self._sessions.begin() as session:
            session.execute(update(ModelRelease).values(active=False))
            release = ModelRelease(model_path=model_path, fingerprint=fingerprint, accuracy=accuracy,
                                   previous_accuracy=previous_accuracy, eval_size=eval_size,
                                   stories_passed=stories_passed, published_by=published_by,
                                   override_reason=override_reason, note=note, active=True)
            session.add(release)
            session.flush()
            return release.id

    def history(self, limit: int = 50) -> list[ReleaseView]:
        with self._sessions() as session:
            rows = session.execute(select(ModelRelease, Agent.display_name)
                                   .outerjoin(Agent, Agent.id == ModelRelease.published_by)
                                   .order_by(ModelRelease.id.desc()).limit(limit)).all()
        return [_view(release, name) for release, name in rows]

    def get(self, release_id: int) -> ReleaseView | None:
        with self._sessions() as session:
            row = session.execute(select(ModelRelease, Agent.display_name)
                                  .outerjoin(Agent, Agent.id == ModelRelease.published_by)
                                  .where(ModelRelease.id == release_id)).first()
        return _view(*row) if row else None

    def active(self) -> ReleaseView | None:
        with self._sessions() as session:
            row = session.execute(select(ModelRelease, Agent.display_name)
                                  .outerjoin(Agent, Agent.id == ModelRelease.published_by)
                                  .where(ModelRelease.active.is_(True))).first()
        return _view(*row) if row else None


def _view(release: ModelRelease, name: str | None) -> ReleaseView:
    return ReleaseView(release.id, release.model_path, release.fingerprint, release.accuracy,
                       release.previous_accuracy, release.eval_size, release.stories_passed, name,
                       release.published_at.isoformat(), release.override_reason, release.note,
                       release.active)
