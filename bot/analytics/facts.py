"""Per-conversation facts and hourly volume, kept up to date as the desk writes.

The dashboard must answer in well under a second for a million messages, so it never scans
messages: every flush that stores a conversation, a message, an analysis, a handoff or a
survey answer also updates one row of `conversation_facts` (and one hour of
`activity_hours`) in the same transaction. The desk's turns write with Core statements (an
ORM flush per turn cost more CPU than the rest of the desk's work) and call `record`
themselves; everything else is seen by the flush listener. `rebuild` recomputes both from
the stored conversations, for data written before these tables existed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from weakref import WeakSet

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    bindparam,
    delete,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.orm.attributes import get_history

from bot.db import Base, aware, utcnow
from bot.desk.analysis import FALLBACK_INTENT, FAREWELL_INTENTS
from bot.desk.models import Conversation, Handoff, Message, Mode, Sender

# Intents that say nothing about what the customer came for.
SMALL_TALK = frozenset({"greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "inform",
                        FALLBACK_INTENT})


class Turn:
    """How the bot's answer to one customer message went."""

    answered = "answered"
    fallback = "fallback"  # NLU did not understand the message
    declined = "declined"  # the knowledge base had no answer


class ConversationFacts(Base):
    __tablename__ = "conversation_facts"
    __table_args__ = (Index("ix_conversation_facts_started_channel", "started_at", "channel"),)

    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_message_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_customer_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    customer_messages: Mapped[int] = mapped_column(Integer, default=0)
    bot_turns: Mapped[int] = mapped_column(Integer, default=0)
    fallback_turns: Mapped[int] = mapped_column(Integer, default=0)
    declined_turns: Mapped[int] = mapped_column(Integer, default=0)
    last_turn: Mapped[str | None] = mapped_column(String(16), nullable=True)
    last_intent: Mapped[str | None] = mapped_column(String(64), nullable=True)
    topic: Mapped[str | None] = mapped_column(String(64), nullable=True)  # first intent not small talk
    said_goodbye: Mapped[bool] = mapped_column(Boolean, default=False)
    handoffs: Mapped[int] = mapped_column(Integer, default=0)
    escalation_intent: Mapped[str | None] = mapped_column(String(64), nullable=True)
    solved: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    survey_asked: Mapped[bool] = mapped_column(Boolean, default=False)


class ActivityHour(Base):
    """Customer messages and new conversations per UTC hour and channel."""

    __tablename__ = "activity_hours"

    hour: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    demo: Mapped[bool] = mapped_column(Boolean, primary_key=True, default=False)
    conversations: Mapped[int] = mapped_column(Integer, default=0)
    customer_messages: Mapped[int] = mapped_column(Integer, default=0)


class DaySummary(Base):
    """The conversation figures of one UTC day whose conversations have all ended, as the
    report computed them (per channel and demo flag, with topic counts). A write to any
    conversation started that day deletes the row, so it is recomputed when next read."""

    __tablename__ = "day_summaries"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD, UTC
    figures: Mapped[dict] = mapped_column(JSON)


@dataclass(frozen=True)
class TurnOutcome:
    kind: str
    intent: str | None


def turn_outcome(analysis: dict[str, Any] | None) -> TurnOutcome | None:
    """What a bot-mode analysis says of the turn; None for messages a person or the desk took."""
    if not analysis or analysis.get("mode") != Mode.bot.value:
        return None
    intent = (analysis.get("intent") or {}).get("name")
    if intent == FALLBACK_INTENT:
        return TurnOutcome(Turn.fallback, intent)
    if analysis.get("kb_declined"):
        return TurnOutcome(Turn.declined, intent)
    return TurnOutcome(Turn.answered, intent)


def _hour(moment: datetime) -> datetime:
    return aware(moment).replace(minute=0, second=0, microsecond=0)


def upsert_insert(bind: Connection | Engine, table: type[Base]) -> Any:
    """An INSERT that can take ON CONFLICT, in the dialect of `bind` (SQLite or PostgreSQL)."""
    return (postgresql if bind.dialect.name == "postgresql" else sqlite).insert(table)


# One statement for SQLite and PostgreSQL (both take ON CONFLICT ... excluded), as text:
# SQLAlchemy compiles its dialects' INSERT ... ON CONFLICT anew on every execution (they are
# not cacheable), which cost more CPU than the rest of a turn's facts.
_HOUR_UPSERT = text(
    "INSERT INTO activity_hours (hour, channel, demo, conversations, customer_messages) "
    "VALUES (:hour, :channel, :demo, :conversations, :customer_messages) "
    "ON CONFLICT (hour, channel, demo) DO UPDATE SET "
    "conversations = activity_hours.conversations + excluded.conversations, "
    "customer_messages = activity_hours.customer_messages + excluded.customer_messages"
).bindparams(*(bindparam(column.name, type_=column.type) for column in ActivityHour.__table__.columns))


def _bump_hour(connection: Connection, moment: datetime, channel: str, demo: bool,
               conversations: int, messages: int) -> None:
    connection.execute(_HOUR_UPSERT, {"hour": _hour(moment), "channel": channel, "demo": demo,
                                      "conversations": conversations, "customer_messages": messages})


def _where(conversation_id: str) -> Any:
    return update(ConversationFacts).where(ConversationFacts.conversation_id == conversation_id)


_COUNTERS = frozenset({"customer_messages", "bot_turns", "fallback_turns", "declined_turns"})


@lru_cache(maxsize=64)
def _facts_update(columns: tuple[str, ...], returning: bool) -> Any:
    """The UPDATE of one conversation's facts that sets `columns` (counters are added to), as
    one statement per shape with the values bound at execution."""
    facts = ConversationFacts
    values: dict[str, Any] = {}
    for name in columns:
        column = getattr(facts, name)
        value = bindparam(f"new_{name}", type_=column.type)
        values[name] = (column + value if name in _COUNTERS
                        else func.coalesce(column, value) if name == "topic" else value)
    statement = update(facts).where(facts.conversation_id == bindparam("facts_of")).values(values)
    return statement.returning(facts.channel, facts.demo) if returning else statement


def _conversation_started(connection: Connection, conversation: Conversation) -> None:
    started = aware(conversation.created_at or utcnow())
    connection.execute(insert(ConversationFacts).values(
        conversation_id=conversation.id, channel=conversation.channel, demo=bool(conversation.demo),
        started_at=started, last_message_at=started, customer_messages=0, bot_turns=0, fallback_turns=0,
        declined_turns=0, said_goodbye=False, handoffs=0, survey_asked=False))
    _bump_hour(connection, started, conversation.channel, bool(conversation.demo), 1, 0)
    _START_DAYS[conversation.id] = _day_of(started)


class _Change:
    """What one flush did to one conversation's facts, written as one UPDATE: a turn stores
    the customer's message or the bot's replies and the analysis together."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.customer_hours: dict[datetime, int] = {}
        self.reads: list[TurnOutcome] = []

    def stored(self, message: Message) -> None:
        at = aware(message.created_at or utcnow())
        self.values["last_message_at"] = at
        if message.sender == Sender.customer:
            self.values["last_customer_at"] = at
            self.customer_hours[_hour(at)] = self.customer_hours.get(_hour(at), 0) + 1

    def read(self, message: Message) -> None:
        outcome = turn_outcome(message.analysis)
        if outcome is not None:
            self.reads.append(outcome)

    def write(self, connection: Connection, conversation_id: str) -> None:
        values = dict(self.values)
        customer = sum(self.customer_hours.values())
        if customer:
            values["customer_messages"] = customer
        if self.reads:
            last = self.reads[-1]
            values.update(
                bot_turns=len(self.reads), last_turn=last.kind, last_intent=last.intent,
                fallback_turns=sum(r.kind == Turn.fallback for r in self.reads),
                declined_turns=sum(r.kind == Turn.declined for r in self.reads),
                said_goodbye=last.intent in FAREWELL_INTENTS)
            topic = next((r.intent for r in self.reads if r.intent and r.intent not in SMALL_TALK), None)
            if topic is not None:
                values["topic"] = topic
        if not values:
            return
        statement = _facts_update(tuple(sorted(values)), bool(self.customer_hours))
        result = connection.execute(statement, {"facts_of": conversation_id,
                                                **{f"new_{name}": value for name, value in values.items()}})
        if not self.customer_hours:
            return
        row = result.first()
        for hour, messages in (self.customer_hours.items() if row is not None else ()):
            _bump_hour(connection, hour, row.channel, row.demo, 0, messages)


def _agent_replied(connection: Connection, message: Message) -> None:
    connection.execute(update(Handoff).where(Handoff.conversation_id == message.conversation_id,
                                             Handoff.agent_id.is_not(None), Handoff.closed_at.is_(None),
                                             Handoff.first_reply_at.is_(None))
                       .values(first_reply_at=aware(message.created_at or utcnow())))


def _handoff_opened(connection: Connection, handoff: Handoff) -> None:
    connection.execute(_where(handoff.conversation_id).values(
        handoffs=ConversationFacts.handoffs + 1,
        escalation_intent=func.coalesce(ConversationFacts.escalation_intent, ConversationFacts.last_intent)))


def _conversation_changed(connection: Connection, conversation: Conversation) -> None:
    if get_history(conversation, "survey_asked_at").added and conversation.survey_asked_at:
        connection.execute(_where(conversation.id).values(survey_asked=True))
    if get_history(conversation, "solved").added:
        connection.execute(_where(conversation.id).values(solved=conversation.solved))


def _day_of(moment: datetime) -> str:
    return aware(moment).date().isoformat()


# Conversation id -> the UTC day it started on (which never changes), so that a turn need
# not read it back to forget that day's summary. Bounded: cleared when full.
_START_DAYS: dict[str, str] = {}
_START_DAYS_KEPT = 100_000


_START_DAYS_OF = select(ConversationFacts.conversation_id, ConversationFacts.started_at).where(
    ConversationFacts.conversation_id.in_(bindparam("conversations", expanding=True)))
_FORGET_DAYS = delete(DaySummary).where(DaySummary.day.in_(bindparam("days", expanding=True)))
# A day is kept only once it is over (report._settled); a write this long before the day
# ends has committed before any report can keep it, so it has nothing to forget.
_UNKEPT_FOR = timedelta(minutes=5)


def _invalidate(connection: Connection, conversation_ids: set[str]) -> None:
    """Forget the day summaries of the days these conversations started on."""
    unknown = [c for c in conversation_ids if c not in _START_DAYS]
    if unknown:
        if len(_START_DAYS) + len(unknown) > _START_DAYS_KEPT:
            _START_DAYS.clear()
        for conversation_id, started in connection.execute(_START_DAYS_OF, {"conversations": unknown}):
            _START_DAYS[conversation_id] = _day_of(started)
    unkept = (utcnow() + _UNKEPT_FOR).date().isoformat()
    days = sorted({_START_DAYS[c] for c in conversation_ids if c in _START_DAYS} - {unkept})
    if days:
        connection.execute(_FORGET_DAYS, {"days": days})


def record(connection: Connection, conversation_id: str, stored: Sequence[Message] = (),
           read: Sequence[Message] = ()) -> None:
    """The facts of messages one transaction stored (with Core statements, which no flush
    sees) and of stored messages whose analysis it wrote, by the listener's rules."""
    change = _Change()
    for message in stored:
        change.stored(message)
        if message.analysis:
            change.read(message)
    for message in read:
        change.read(message)
    change.write(connection, conversation_id)
    _invalidate(connection, {conversation_id})


def _after_flush(session: Session, _context: Any) -> None:
    new, dirty = session.new, session.dirty
    touched = {o.conversation_id for o in new | dirty if isinstance(o, (Message, Handoff))}
    touched |= {o.id for o in new | dirty if isinstance(o, Conversation)}
    if not touched:
        return
    connection = session.connection()
    for obj in [o for o in new if isinstance(o, Conversation)]:
        _conversation_started(connection, obj)
    changes: dict[str, _Change] = {}
    for obj in sorted((o for o in new if isinstance(o, Message)), key=lambda m: m.id or 0):
        change = changes.setdefault(obj.conversation_id, _Change())
        change.stored(obj)
        if obj.sender == Sender.agent:
            _agent_replied(connection, obj)
        if obj.analysis:
            change.read(obj)
    for obj in dirty:
        if isinstance(obj, Message) and get_history(obj, "analysis").added:
            changes.setdefault(obj.conversation_id, _Change()).read(obj)
        elif isinstance(obj, Conversation):
            _conversation_changed(connection, obj)
    for conversation_id, change in changes.items():
        change.write(connection, conversation_id)
    for obj in [o for o in new if isinstance(o, Handoff)]:
        _handoff_opened(connection, obj)
    _invalidate(connection, touched)


# The session factories already tracked. Not `event.contains`: SQLAlchemy's registry is keyed
# by id(), so a new factory at a freed one's address looked tracked and kept no facts.
_TRACKED: WeakSet[sessionmaker] = WeakSet()


def track(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """Keep the facts current for everything written through these sessions."""
    if sessions not in _TRACKED:
        event.listen(sessions, "after_flush", _after_flush)
        _TRACKED.add(sessions)
    return sessions


@dataclass
class _Tally:
    """One conversation's facts, computed in memory by `rebuild` with the listener's rules."""

    row: dict[str, Any]
    handoff_times: list[datetime]

    def message(self, sender: Sender, at: datetime, analysis: dict[str, Any] | None) -> None:
        while self.handoff_times and self.handoff_times[0] < at:
            self.handoff(self.handoff_times.pop(0))
        row = self.row
        row["last_message_at"] = at
        if sender == Sender.customer:
            row["customer_messages"] += 1
            row["last_customer_at"] = at
        outcome = turn_outcome(analysis)
        if outcome is None:
            return
        row["bot_turns"] += 1
        row["last_turn"], row["last_intent"] = outcome.kind, outcome.intent
        row["fallback_turns"] += int(outcome.kind == Turn.fallback)
        row["declined_turns"] += int(outcome.kind == Turn.declined)
        row["said_goodbye"] = outcome.intent in FAREWELL_INTENTS
        if outcome.intent and outcome.intent not in SMALL_TALK and row["topic"] is None:
            row["topic"] = outcome.intent

    def handoff(self, _: datetime) -> None:
        self.row["handoffs"] += 1
        if self.row["escalation_intent"] is None:
            self.row["escalation_intent"] = self.row["last_intent"]

    def done(self) -> dict[str, Any]:
        for moment in self.handoff_times:
            self.handoff(moment)
        return self.row


def rebuild(sessions: sessionmaker[Session], batch: int = 5000, progress: Any = None) -> int:
    """Recompute the facts of every stored conversation from its messages and handoffs (a
    database that held conversations before facts were tracked); returns how many. Reads the
    messages once, in conversation order, and writes the facts in batches."""
    with sessions.begin() as session:
        session.execute(delete(DaySummary))
        session.execute(delete(ConversationFacts))
        session.execute(delete(ActivityHour))
    with sessions() as reader:
        handoffs: dict[str, list[datetime]] = {}
        for cid, created in reader.execute(select(Handoff.conversation_id, Handoff.created_at).order_by(Handoff.id)):
            handoffs.setdefault(cid, []).append(aware(created))
        conversations = reader.execute(select(Conversation.id, Conversation.channel, Conversation.demo,
                                              Conversation.created_at, Conversation.survey_asked_at,
                                              Conversation.solved).order_by(Conversation.id)).all()
        # Both in the database's order of conversation ids, so one pass merges them (every
        # message belongs to a stored conversation: a foreign key).
        messages = reader.execute(select(Message.conversation_id, Message.sender, Message.created_at,
                                         Message.analysis)
                                  .order_by(Message.conversation_id, Message.id)
                                  .execution_options(yield_per=10_000))
        hours: dict[tuple[datetime, str, bool], list[int]] = {}
        pending: list[dict[str, Any]] = []
        stream = iter(messages)
        upcoming = next(stream, None)
        for done, conversation in enumerate(conversations, 1):
            started = aware(conversation.created_at)
            demo = bool(conversation.demo)
            tally = _Tally({"conversation_id": conversation.id, "channel": conversation.channel, "demo": demo,
                            "started_at": started, "last_message_at": started, "last_customer_at": None,
                            "customer_messages": 0, "bot_turns": 0, "fallback_turns": 0, "declined_turns": 0,
                            "last_turn": None, "last_intent": None, "topic": None, "said_goodbye": False,
                            "handoffs": 0, "escalation_intent": None, "solved": conversation.solved,
                            "survey_asked": conversation.survey_asked_at is not None},
                           handoffs.get(conversation.id, []))
            hours.setdefault((_hour(started), conversation.channel, demo), [0, 0])[0] += 1
            while upcoming is not None and upcoming.conversation_id == conversation.id:
                at = aware(upcoming.created_at)
                tally.message(upcoming.sender, at, upcoming.analysis)
                if upcoming.sender == Sender.customer:
                    hours.setdefault((_hour(at), conversation.channel, demo), [0, 0])[1] += 1
                upcoming = next(stream, None)
            pending.append(tally.done())
            if len(pending) >= batch:
                _write_facts(sessions, pending)
                if progress:
                    progress(done, len(conversations))
        _write_facts(sessions, pending)
    with sessions.begin() as session:
        rows = [{"hour": h, "channel": c, "demo": d, "conversations": n[0], "customer_messages": n[1]}
                for (h, c, d), n in hours.items()]
        for start in range(0, len(rows), batch):
            session.execute(insert(ActivityHour), rows[start:start + batch])
    return len(conversations)


def _write_facts(sessions: sessionmaker[Session], pending: list[dict[str, Any]]) -> None:
    if pending:
        with sessions.begin() as session:
            session.execute(insert(ConversationFacts), pending)
        pending.clear()
