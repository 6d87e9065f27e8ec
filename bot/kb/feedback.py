"""What the knowledge base was asked, what it answered, and whether that helped.

Editors read this to see which questions need a better article; it lives in the desk's
database so one migration history covers it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from bot.db import Base, utcnow


class KbQuestion(Base):
    __tablename__ = "kb_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(64), index=True)
    question: Mapped[str] = mapped_column(Text)
    answered: Mapped[bool] = mapped_column(Boolean)
    article_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    passage_id: Mapped[str | None] = mapped_column(String(160), nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    helpful: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class FeedbackLog:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def record_question(self, conversation_id: str, question: str, answered: bool,
                        article_id: str | None, passage_id: str | None, score: float | None) -> int:
        row = KbQuestion(conversation_id=conversation_id, question=question, answered=answered,
                         article_id=article_id, passage_id=passage_id, score=score)
        with self._sessions.begin() as session:
            session.add(row)
        return row.id

    def record_helpful(self, question_id: int, conversation_id: str, helpful: bool) -> bool:
        """Mark an answer helpful or not; only the conversation that asked can do so."""
        with self._sessions.begin() as session:
            row = session.get(KbQuestion, question_id)
            if row is None or row.conversation_id != conversation_id:
                return False
            row.helpful = helpful
        return True

    def recent(self, limit: int = 50) -> list[KbQuestion]:
        with self._sessions() as session:
            return list(session.scalars(select(KbQuestion).order_by(KbQuestion.id.desc()).limit(limit)))

    def for_conversation(self, conversation_id: str) -> list[KbQuestion]:
        """What this conversation asked the knowledge base, oldest first (for summaries)."""
        with self._sessions() as session:
            return list(session.scalars(select(KbQuestion)
                                        .where(KbQuestion.conversation_id == conversation_id)
                                        .order_by(KbQuestion.id)))
