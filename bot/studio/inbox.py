"""The review inbox: customer messages the bot did not understand or served badly, grouped.

Items are written when the message is answered (the desk records the reasons), so opening
the inbox is a few indexed SQL aggregates, however many messages are stored. Similar
messages share a group: a message joins the most similar group's first message when their
sentence vectors are close enough, or starts a group of its own.
"""

from __future__ import annotations

import enum
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy import (
    JSON,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from bot.db import Base, utcnow
from bot.desk.analysis import FALLBACK_INTENT
from bot.desk.models import Agent


class Reason(str, enum.Enum):
    fallback = "fallback"              # NLU could not place it
    low_confidence = "low_confidence"  # top intent below the inbox's bar
    near_tie = "near_tie"              # the top two intents almost level
    kb_declined = "kb_declined"        # no article answered it
    not_helpful = "not_helpful"        # the customer said the answer did not help
    not_understood = "not_understood"  # escalated because the bot kept misunderstanding


class ItemState(str, enum.Enum):
    pending = "pending"
    resolved = "resolved"
    ignored = "ignored"


class ReviewGroup(Base):
    __tablename__ = "review_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, of the group's first message
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReviewItem(Base):
    __tablename__ = "review_items"
    __table_args__ = (Index("ix_review_items_state_group", "state", "group_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), unique=True)
    conversation_id: Mapped[str] = mapped_column(String(36), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("review_groups.id"))
    text: Mapped[str] = mapped_column(Text)
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    intent: Mapped[str | None] = mapped_column(String(64), nullable=True)  # best real intent
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    second_intent: Mapped[str | None] = mapped_column(String(64), nullable=True)
    second_confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    state: Mapped[ItemState] = mapped_column(Enum(ItemState, native_enum=False, length=16),
                                             default=ItemState.pending)
    action: Mapped[str | None] = mapped_column(String(32), nullable=True)
    resolved_intent: Mapped[str | None] = mapped_column(String(64), nullable=True)
    acted_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), nullable=True)
    acted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


@dataclass(frozen=True)
class Reading:
    """What NLU made of a message: the best real intent and the runner-up."""

    intent: str | None
    confidence: float | None
    second_intent: str | None
    second_confidence: float | None


def reading_of(analysis: dict) -> Reading:
    ranking = [r for r in analysis.get("ranking") or [] if r.get("name") != FALLBACK_INTENT]
    first = ranking[0] if ranking else {}
    second = ranking[1] if len(ranking) > 1 else {}
    return Reading(first.get("name"), first.get("confidence"), second.get("name"),
                   second.get("confidence"))


def nlu_reasons(analysis: dict, min_confidence: float, tie_margin: float) -> list[Reason]:
    """Why a message's reading deserves an editor's look, if it does."""
    intent = analysis.get("intent") or {}
    if not intent.get("name"):
        return []
    if intent["name"] == FALLBACK_INTENT:
        return [Reason.fallback]
    reasons = []
    if float(intent.get("confidence") or 0) < min_confidence:
        reasons.append(Reason.low_confidence)
    reading = reading_of(analysis)
    if (reading.second_confidence is not None and reading.confidence is not None
            and reading.confidence - reading.second_confidence < tie_margin):
        reasons.append(Reason.near_tie)
    return reasons


@dataclass(frozen=True)
class ItemView:
    id: int
    message_id: int
    conversation_id: str
    text: str
    reasons: list[str]
    intent: str | None
    confidence: float | None
    second_intent: str | None
    second_confidence: float | None
    state: str
    action: str | None
    resolved_intent: str | None
    acted_by: str | None
    acted_at: str | None
    created_at: str


@dataclass(frozen=True)
class GroupView:
    id: int
    size: int
    last_seen: str
    examples: list[ItemView]
    intents: list[dict]          # predicted intents: name, count, mean confidence
    reasons: dict[str, int]
    conversations: list[str]


@dataclass(frozen=True)
class InboxPage:
    state: str
    total_groups: int
    total_items: int
    groups: list[GroupView] = field(default_factory=list)


class ItemNotFound(LookupError):
    pass


class ReviewStore:
    def __init__(self, sessions: sessionmaker[Session], similarity: float = 0.6) -> None:
        self._sessions = sessions
        self._similarity = similarity
        self._lock = threading.Lock()
        self._group_ids: list[int] | None = None
        self._vectors = np.zeros((0, 0), dtype=np.float32)

    def _load_groups(self, session: Session) -> None:
        rows = session.execute(select(ReviewGroup.id, ReviewGroup.vector).order_by(ReviewGroup.id)).all()
        self._group_ids = [row.id for row in rows]
        vectors = [np.frombuffer(row.vector, dtype=np.float32) for row in rows]
        self._vectors = np.stack(vectors) if vectors else np.zeros((0, 0), dtype=np.float32)

    def _group_for(self, session: Session, vector: np.ndarray) -> int:
        """The closest group's id, or a new group's (called under the lock)."""
        if self._group_ids is None:
            self._load_groups(session)
        if len(self._group_ids):
            similarities = self._vectors @ vector
            best = int(np.argmax(similarities))
            if similarities[best] >= self._similarity:
                return self._group_ids[best]
        group = ReviewGroup(vector=vector.astype(np.float32).tobytes())
        session.add(group)
        session.flush()
        self._group_ids.append(group.id)
        row = vector.astype(np.float32)[None, :]
        self._vectors = row if self._vectors.size == 0 else np.vstack([self._vectors, row])
        return group.id

    def record(self, message_id: int, conversation_id: str, text: str, reasons: list[Reason],
               reading: Reading, vector: np.ndarray) -> int:
        """Put a message in the inbox, or add reasons to its item if it is already there."""
        with self._lock, self._sessions.begin() as session:
            item = session.scalar(select(ReviewItem).where(ReviewItem.message_id == message_id))
            if item is not None:
                item.reasons = sorted(set(item.reasons) | {r.value for r in reasons})
                return item.id
            item = ReviewItem(message_id=message_id, conversation_id=conversation_id, text=text,
                              group_id=self._group_for(session, vector),
                              reasons=sorted(r.value for r in reasons), intent=reading.intent,
                              confidence=reading.confidence, second_intent=reading.second_intent,
                              second_confidence=reading.second_confidence)
            session.add(item)
            session.flush()
            return item.id

    def add_reason(self, conversation_id: str, reason: Reason, among: set[Reason]) -> int:
        """Add `reason` to this conversation's items that have one of `among` (escalations)."""
        with self._sessions.begin() as session:
            items = session.scalars(select(ReviewItem).where(ReviewItem.conversation_id == conversation_id))
            changed = 0
            for item in items:
                if {r.value for r in among} & set(item.reasons) and reason.value not in item.reasons:
                    item.reasons = sorted([*item.reasons, reason.value])
                    changed += 1
            return changed

    def page(self, state: ItemState = ItemState.pending, limit: int = 50, offset: int = 0,
             examples: int = 5) -> InboxPage:
        """Groups with items in this state, biggest first, each with its newest examples."""
        with self._sessions() as session:
            totals = session.execute(
                select(func.count(func.distinct(ReviewItem.group_id)), func.count(ReviewItem.id))
                .where(ReviewItem.state == state)).one()
            sized = session.execute(
                select(ReviewItem.group_id, func.count(ReviewItem.id).label("size"),
                       func.max(ReviewItem.id).label("newest"))
                .where(ReviewItem.state == state).group_by(ReviewItem.group_id)
                .order_by(func.count(ReviewItem.id).desc(), func.max(ReviewItem.id).desc())
                .limit(limit).offset(offset)).all()
            group_ids = [row.group_id for row in sized]
            groups = [self._group_view(session, row.group_id, row.size, state, examples)
                      for row in sized] if group_ids else []
        return InboxPage(state.value, totals[0], totals[1], groups)

    def _group_view(self, session: Session, group_id: int, size: int, state: ItemState,
                    examples: int) -> GroupView:
        where = (ReviewItem.group_id == group_id, ReviewItem.state == state)
        intents = session.execute(
            select(ReviewItem.intent, func.count(ReviewItem.id), func.avg(ReviewItem.confidence))
            .where(*where).group_by(ReviewItem.intent).order_by(func.count(ReviewItem.id).desc())
            .limit(3)).all()
        newest = session.execute(
            select(ReviewItem, Agent.display_name).outerjoin(Agent, Agent.id == ReviewItem.acted_by)
            .where(*where).order_by(ReviewItem.id.desc()).limit(examples)).all()
        conversations = session.scalars(
            select(ReviewItem.conversation_id).where(*where).group_by(ReviewItem.conversation_id)
            .order_by(func.max(ReviewItem.id).desc()).limit(10)).all()
        reasons: Counter[str] = Counter()
        for item, _ in newest:
            reasons.update(item.reasons)
        views = [_item_view(item, name) for item, name in newest]
        return GroupView(group_id, size, views[0].created_at if views else "", views,
                         [{"name": name, "count": count,
                           "confidence": round(mean, 3) if mean is not None else None}
                          for name, count, mean in intents],
                         dict(reasons), list(conversations))

    def items(self, item_ids: list[int]) -> list[ItemView]:
        with self._sessions() as session:
            rows = session.execute(
                select(ReviewItem, Agent.display_name).outerjoin(Agent, Agent.id == ReviewItem.acted_by)
                .where(ReviewItem.id.in_(item_ids)).order_by(ReviewItem.id)).all()
        if len(rows) != len(set(item_ids)):
            raise ItemNotFound("some of these inbox items do not exist")
        return [_item_view(item, name) for item, name in rows]

    def group_item_ids(self, group_id: int, state: ItemState = ItemState.pending) -> list[int]:
        with self._sessions() as session:
            return list(session.scalars(select(ReviewItem.id).where(
                ReviewItem.group_id == group_id, ReviewItem.state == state).order_by(ReviewItem.id)))

    def act(self, item_ids: list[int], state: ItemState, action: str | None, account_id: int,
            intent: str | None = None) -> list[ItemView]:
        """Record what an editor did with these items (undo: back to pending, who and when kept)."""
        with self._sessions.begin() as session:
            items = list(session.scalars(select(ReviewItem).where(ReviewItem.id.in_(item_ids))))
            if len(items) != len(set(item_ids)):
                raise ItemNotFound("some of these inbox items do not exist")
            for item in items:
                item.state, item.action, item.resolved_intent = state, action, intent
                item.acted_by, item.acted_at = account_id, utcnow()
        return self.items(item_ids)

    def counts(self) -> dict[str, int]:
        with self._sessions() as session:
            rows = session.execute(select(ReviewItem.state, func.count(ReviewItem.id))
                                   .group_by(ReviewItem.state)).all()
        found = defaultdict(int, {state.value: count for state, count in rows})
        return {state.value: found[state.value] for state in ItemState}


def _item_view(item: ReviewItem, acted_by: str | None) -> ItemView:
    return ItemView(item.id, item.message_id, item.conversation_id, item.text, list(item.reasons),
                    item.intent, item.confidence, item.second_intent, item.second_confidence,
                    item.state.value, item.action, item.resolved_intent, acted_by,
                    item.acted_at.isoformat() if item.acted_at else None, item.created_at.isoformat())
