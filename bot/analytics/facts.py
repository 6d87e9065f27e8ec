"""Per-conversation facts and hourly volume, kept up to date as the desk writes.

The dashboard must answer in well under a second for a million messages, so it never scans
messages: every flush that stores a conversation, a message, an analysis, a handoff or a
survey answer also updates one row of `conversation_facts` (and one hour of
`activity_hours`) in the same transaction. `rebuild` recomputes both from the stored
conversations, for data written before these tables existed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    delete,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.orm.attributes import get_history

from bot.db import Base, aware, utcnow
from bot.desk.models import Conversation, Handoff, Message, Mode, Sender

FALLBACK_INTENT = "nlu_fallback"
# Intents that say nothing about what the customer came for.
SMALL_TALK = frozenset({"greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "inform",
                        FALLBACK_INTENT})
FAREWELL_INTENTS = frozenset({"goodbye", "thank"})


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


def _bump_hour(connection: Connection, moment: datetime, channel: str, demo: bool,
               conversations: int, messages: int) -> None:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(ActivityHour).values(hour=_hour(moment), channel=channel, demo=demo,
                                                    conversations=conversations, customer_messages=messages)
    connection.execute(statement.on_conflict_do_update(
        index_elements=["hour", "channel", "demo"],
        set_={"conversations": ActivityHour.conversations + conversations,
              "customer_messages": ActivityHour.customer_messages + messages}))


def _facts_of(connection: Connection, conversation_id: str) -> tuple[str, bool] | None:
    row = connection.execute(select(ConversationFacts.channel, ConversationFacts.demo)
                             .where(ConversationFacts.conversation_id == conversation_id)).first()
    return (row.channel, row.demo) if row else None


def _where(conversation_id: str) -> Any:
    return update(ConversationFacts).where(ConversationFacts.conversation_id == conversation_id)


def _conversation_started(connection: Connection, conversation: Conversation) -> None:
    started = aware(conversation.created_at or utcnow())
    connection.execute(insert(ConversationFacts).values(
        conversation_id=conversation.id, channel=conversation.channel, demo=bool(conversation.demo),
        started_at=started, last_message_at=started, customer_messages=0, bot_turns=0, fallback_turns=0,
        declined_turns=0, said_goodbye=False, handoffs=0, survey_asked=False))
    _bump_hour(connection, started, conversation.channel, bool(conversation.demo), 1, 0)


def _message_stored(connection: Connection, message: Message) -> None:
    at = aware(message.created_at or utcnow())
    values: dict[str, Any] = {"last_message_at": at}
    if message.sender == Sender.customer:
        values.update(customer_messages=ConversationFacts.customer_messages + 1, last_customer_at=at)
        facts = _facts_of(connection, message.conversation_id)
        if facts is not None:
            _bump_hour(connection, at, facts[0], facts[1], 0, 1)
    elif message.sender == Sender.agent:
        connection.execute(update(Handoff).where(Handoff.conversation_id == message.conversation_id,
                                                 Handoff.agent_id.is_not(None), Handoff.closed_at.is_(None),
                                                 Handoff.first_reply_at.is_(None))
                           .values(first_reply_at=at))
    connection.execute(_where(message.conversation_id).values(**values))
    if message.analysis:
        _message_read(connection, message)


def _message_read(connection: Connection, message: Message) -> None:
    outcome = turn_outcome(message.analysis)
    if outcome is None:
        return
    values: dict[str, Any] = {
        "bot_turns": ConversationFacts.bot_turns + 1, "last_turn": outcome.kind, "last_intent": outcome.intent,
        "fallback_turns": ConversationFacts.fallback_turns + int(outcome.kind == Turn.fallback),
        "declined_turns": ConversationFacts.declined_turns + int(outcome.kind == Turn.declined),
        "said_goodbye": outcome.intent in FAREWELL_INTENTS}
    connection.execute(_where(message.conversation_id).values(**values))
    if outcome.intent and outcome.intent not in SMALL_TALK:
        connection.execute(_where(message.conversation_id).where(ConversationFacts.topic.is_(None))
                           .values(topic=outcome.intent))


def _handoff_opened(connection: Connection, handoff: Handoff) -> None:
    connection.execute(_where(handoff.conversation_id).values(handoffs=ConversationFacts.handoffs + 1))
    connection.execute(_where(handoff.conversation_id).where(ConversationFacts.escalation_intent.is_(None))
                       .values(escalation_intent=ConversationFacts.last_intent))


def _conversation_changed(connection: Connection, conversation: Conversation) -> None:
    if get_history(conversation, "survey_asked_at").added and conversation.survey_asked_at:
        connection.execute(_where(conversation.id).values(survey_asked=True))
    if get_history(conversation, "solved").added:
        connection.execute(_where(conversation.id).values(solved=conversation.solved))


def _after_flush(session: Session, _context: Any) -> None:
    connection = session.connection()
    for obj in [o for o in session.new if isinstance(o, Conversation)]:
        _conversation_started(connection, obj)
    for obj in sorted((o for o in session.new if isinstance(o, Message)), key=lambda m: m.id or 0):
        _message_stored(connection, obj)
    for obj in session.dirty:
        if isinstance(obj, Message) and get_history(obj, "analysis").added:
            _message_read(connection, obj)
        elif isinstance(obj, Conversation):
            _conversation_changed(connection, obj)
    for obj in [o for o in session.new if isinstance(o, Handoff)]:
        _handoff_opened(connection, obj)


def track(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """Keep the facts current for everything written through these sessions."""
    if not event.contains(sessions, "after_flush", _after_flush):
        event.listen(sessions, "after_flush", _after_flush)
    return sessions


def rebuild(sessions: sessionmaker[Session], batch: int = 500) -> int:
    """Recompute the facts of every stored conversation (facts first tracked in a database
    that already held conversations); returns how many conversations."""
    with sessions.begin() as session:
        session.execute(delete(ConversationFacts))
        session.execute(delete(ActivityHour))
    done = 0
    with sessions() as reader:
        ids = list(reader.scalars(select(Conversation.id).order_by(Conversation.created_at)))
    for start in range(0, len(ids), batch):
        with sessions.begin() as session:
            connection = session.connection()
            for conversation in session.scalars(select(Conversation).where(Conversation.id.in_(ids[start:start + batch]))):
                _replay(connection, session, conversation)
                done += 1
    return done


def _replay(connection: Connection, session: Session, conversation: Conversation) -> None:
    _conversation_started(connection, conversation)
    handoffs = list(session.scalars(select(Handoff).where(Handoff.conversation_id == conversation.id)
                                    .order_by(Handoff.id)))
    for message in session.scalars(select(Message).where(Message.conversation_id == conversation.id)
                                   .order_by(Message.id)):
        while handoffs and aware(handoffs[0].created_at) < aware(message.created_at):
            _handoff_opened(connection, handoffs.pop(0))
        _message_stored(connection, message)
    for handoff in handoffs:
        _handoff_opened(connection, handoff)
    connection.execute(_where(conversation.id).values(
        survey_asked=conversation.survey_asked_at is not None, solved=conversation.solved))
