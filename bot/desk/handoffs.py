"""The handoff queue: conversations waiting for, or worked by, a person.

Every change of who answers (bot, person, rating question) happens here, in one transaction
with the conversation's mode, so the queue and the conversations never disagree. Claiming is
a conditional UPDATE: of two agents claiming at once, exactly one wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot.db import aware, utcnow
from bot.desk.models import Agent, Conversation, Handoff, HandoffStatus, Message, Mode, Note

OPEN = (HandoffStatus.queued, HandoffStatus.claimed)


class HandoffError(RuntimeError):
    """The handoff is not in a state that allows this (the message says why)."""


class AlreadyClaimed(HandoffError):
    pass


@dataclass(frozen=True)
class QueueEntry:
    handoff_id: int
    conversation_id: str
    status: str
    priority: float
    reasons: list[dict]
    summary: dict
    created_at: datetime
    claimed_by: str | None
    last_message: str

    def rank(self, now: datetime, minutes_per_point: float) -> float:
        """Priority points, plus one point per `minutes_per_point` waited: urgent first,
        and nobody waits forever behind a stream of urgent newcomers."""
        return self.priority + (now - aware(self.created_at)).total_seconds() / 60 / minutes_per_point


@dataclass(frozen=True)
class HandoffView:
    id: int
    conversation_id: str
    status: HandoffStatus
    priority: float
    reasons: list[dict]
    summary: dict
    created_at: datetime
    agent_id: int | None
    agent_name: str | None


@dataclass(frozen=True)
class NoteView:
    id: int
    author: str
    text: str
    created_at: datetime


def _view(handoff: Handoff) -> HandoffView:
    return HandoffView(handoff.id, handoff.conversation_id, handoff.status, handoff.priority,
                       list(handoff.reasons or []), dict(handoff.summary or {}), handoff.created_at,
                       handoff.agent_id, handoff.agent.display_name if handoff.agent else None)


class HandoffStore:
    def __init__(self, sessions: sessionmaker[Session], minutes_per_point: float = 10.0) -> None:
        self._sessions = sessions
        self._minutes_per_point = minutes_per_point

    def escalate(self, conversation_id: str, priority: float, reasons: list[dict],
                 summary: dict) -> HandoffView:
        """Queue the conversation and switch it to human mode (an open handoff is kept)."""
        with self._sessions.begin() as session:
            existing = self._open(session, conversation_id)
            if existing is not None:
                return _view(existing)
            handoff = Handoff(conversation_id=conversation_id, status=HandoffStatus.queued,
                              priority=priority, reasons=reasons, summary=summary)
            session.add(handoff)
            session.get(Conversation, conversation_id).mode = Mode.human
            session.flush()
            return _view(handoff)

    def current(self, conversation_id: str) -> HandoffView | None:
        """The open handoff, else the latest closed one."""
        with self._sessions() as session:
            handoff = session.scalars(
                select(Handoff).options(selectinload(Handoff.agent))
                .where(Handoff.conversation_id == conversation_id)
                .order_by(Handoff.id.desc()).limit(1)).first()
            return _view(handoff) if handoff else None

    def get(self, handoff_id: int) -> HandoffView | None:
        with self._sessions() as session:
            handoff = session.get(Handoff, handoff_id, options=[selectinload(Handoff.agent)])
            return _view(handoff) if handoff else None

    def last_closed_at(self, conversation_id: str) -> datetime | None:
        with self._sessions() as session:
            return session.scalar(select(func.max(Handoff.closed_at))
                                  .where(Handoff.conversation_id == conversation_id))

    def queue(self, now: datetime | None = None) -> list[QueueEntry]:
        """Open handoffs, waiting ones first by rank, then the claimed ones."""
        now = now or utcnow()
        with self._sessions() as session:
            handoffs = list(session.scalars(select(Handoff).options(selectinload(Handoff.agent))
                                            .where(Handoff.status.in_(OPEN))))
            last_texts = dict(session.execute(
                select(Message.conversation_id, Message.text)
                .where(Message.id.in_(
                    select(func.max(Message.id)).where(
                        Message.conversation_id.in_([h.conversation_id for h in handoffs]),
                        Message.sender == "customer")
                    .group_by(Message.conversation_id)))).all())
        entries = [QueueEntry(h.id, h.conversation_id, h.status.value, h.priority, list(h.reasons or []),
                              dict(h.summary or {}), h.created_at,
                              h.agent.display_name if h.agent else None,
                              last_texts.get(h.conversation_id, ""))
                   for h in handoffs]
        return sorted(entries, key=lambda e: (e.status != HandoffStatus.queued.value,
                                              -e.rank(now, self._minutes_per_point)))

    def waiting(self) -> int:
        """How many conversations wait for a person (queued, not claimed yet)."""
        with self._sessions() as session:
            return session.scalar(select(func.count()).select_from(Handoff)
                                  .where(Handoff.status == HandoffStatus.queued))

    def position(self, conversation_id: str) -> int | None:
        """1 for the next conversation an agent should take; None when not waiting."""
        waiting = [e for e in self.queue() if e.status == HandoffStatus.queued.value]
        return next((i for i, e in enumerate(waiting, 1) if e.conversation_id == conversation_id), None)

    def claim(self, handoff_id: int, agent_id: int) -> HandoffView:
        with self._sessions.begin() as session:
            won = session.execute(
                update(Handoff)
                .where(Handoff.id == handoff_id, Handoff.status == HandoffStatus.queued)
                .values(status=HandoffStatus.claimed, agent_id=agent_id, claimed_at=utcnow())
                .execution_options(synchronize_session=False)).rowcount
            handoff = session.get(Handoff, handoff_id, options=[selectinload(Handoff.agent)],
                                  populate_existing=True)
            if handoff is None:
                raise HandoffError("no such handoff")
            if not won:
                owner = handoff.agent.display_name if handoff.agent else None
                raise AlreadyClaimed(f"already claimed by {owner}" if owner and handoff.status == HandoffStatus.claimed
                                     else f"this conversation is {handoff.status.value}")
            return _view(handoff)

    def owned(self, conversation_id: str, agent_id: int) -> HandoffView:
        """The handoff this agent claimed, or HandoffError."""
        with self._sessions() as session:
            return _view(self._claimed(session, conversation_id, agent_id,
                                       "claim this conversation before answering or closing it"))

    def close(self, conversation_id: str, agent_id: int, resolved: bool) -> HandoffView:
        """Resolve (the customer is then asked for a rating) or hand back to the bot."""
        with self._sessions.begin() as session:
            handoff = self._claimed(session, conversation_id, agent_id,
                                    "only the agent who claimed this conversation can close it")
            handoff.status = HandoffStatus.resolved if resolved else HandoffStatus.returned
            handoff.closed_at = utcnow()
            conversation = session.get(Conversation, conversation_id)
            conversation.mode = Mode.rating if resolved else Mode.bot
            conversation.policy_state = {}  # the policy counts afresh once a person has helped
            session.flush()
            return _view(handoff)

    def record_rating(self, conversation_id: str, rating: int | None) -> None:
        """The customer's 1-5 rating of the resolved handoff (None: skipped); the bot resumes."""
        with self._sessions.begin() as session:
            handoff = session.scalars(
                select(Handoff).where(Handoff.conversation_id == conversation_id,
                                      Handoff.status == HandoffStatus.resolved)
                .order_by(Handoff.id.desc()).limit(1)).first()
            if handoff is not None and rating is not None:
                handoff.rating = rating
            session.get(Conversation, conversation_id).mode = Mode.bot

    def add_note(self, conversation_id: str, agent_id: int, text: str) -> NoteView:
        with self._sessions.begin() as session:
            note = Note(conversation_id=conversation_id, agent_id=agent_id, text=text)
            session.add(note)
            session.flush()
            return NoteView(note.id, session.get(Agent, agent_id).display_name, note.text, note.created_at)

    def notes(self, conversation_id: str) -> list[NoteView]:
        with self._sessions() as session:
            notes = session.scalars(select(Note).options(selectinload(Note.agent))
                                    .where(Note.conversation_id == conversation_id).order_by(Note.id))
            return [NoteView(n.id, n.agent.display_name, n.text, n.created_at) for n in notes]

    @classmethod
    def _claimed(cls, session: Session, conversation_id: str, agent_id: int, refusal: str) -> Handoff:
        handoff = cls._open(session, conversation_id)
        if handoff is None or handoff.status != HandoffStatus.claimed or handoff.agent_id != agent_id:
            raise HandoffError(refusal)
        return handoff

    @staticmethod
    def _open(session: Session, conversation_id: str) -> Handoff | None:
        return session.scalars(select(Handoff).options(selectinload(Handoff.agent))
                               .where(Handoff.conversation_id == conversation_id,
                                      Handoff.status.in_(OPEN))
                               .order_by(Handoff.id.desc()).limit(1)).first()
