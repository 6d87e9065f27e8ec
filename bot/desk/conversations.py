"""The desk's conversation store: every inbound message is committed before anything else."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime

from cachetools import TTLCache
from sqlalchemy import Connection, and_, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from bot.analytics import facts
from bot.db import utcnow
from bot.desk.models import Conversation, DeliveryStatus, Message, Mode, Sender


class ConversationNotFound(LookupError):
    """Unknown conversation, or a token that does not open it (indistinguishable on purpose)."""


@dataclass(frozen=True)
class NewConversation:
    id: str
    token: str


@dataclass(frozen=True)
class OpenedConversation:
    """A conversation as a customer's token opened it: enough to route a message (who answers
    is read under the conversation's lock) and to check at store time that the token still
    opens it (an anonymised conversation's token opens nothing)."""

    id: str
    channel: str
    token_hash: str


# Conversations this worker opened or authorized lately, so a turn's token check needs no
# trip to the database; what the token opens is checked again in the turn's first write.
OPENED_KEPT = 10_000
OPENED_FOR_S = 300.0


def _storable_id(conversation_id: str) -> bool:
    """Ids come from URLs; PostgreSQL refuses a NUL even in a lookup, so such an id is
    simply unknown (as it is on SQLite)."""
    return "\x00" not in conversation_id


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _opens(token_hash: str, token: str | None) -> bool:
    return token is not None and hmac.compare_digest(token_hash, _hash_token(token))


# A turn's writes, built once (a statement built per call costs more CPU than running it)
# and run as Core statements: facts.record keeps the analytics that a flush would have.
_MESSAGES, _CONVERSATIONS = Message.__table__, Conversation.__table__
_INSERT_MESSAGE = insert(_MESSAGES).returning(_MESSAGES.c.id)
_ANSWERED = (update(_MESSAGES).where(_MESSAGES.c.id == bindparam("answered"))
             .values(status=DeliveryStatus.answered))
_ANSWERED_WITH_ANALYSIS = _ANSWERED.values(analysis=bindparam("new_analysis", type_=_MESSAGES.c.analysis.type))
_KEEP_POLICY_STATE = (update(_CONVERSATIONS).where(_CONVERSATIONS.c.id == bindparam("state_of"))
                      .values(policy_state=bindparam("new_policy_state", type_=_CONVERSATIONS.c.policy_state.type)))


def _insert_customer_message(connection: Connection, conversation_id: str, text: str,
                             redacted: tuple[str, ...]) -> Message:
    message = Message(conversation_id=conversation_id, sender=Sender.customer, text=text,
                      status=DeliveryStatus.received, created_at=utcnow(),
                      payload={"redacted": list(redacted)} if redacted else None)
    message.id = connection.execute(_INSERT_MESSAGE, _row(message)).scalar_one()
    facts.record(connection, conversation_id, stored=[message])
    return message


_CONVERSATION = select(Conversation).where(Conversation.id == bindparam("conversation_id"))


def _read_conversation(session: Session, conversation_id: str) -> Conversation | None:
    """Session.get builds its statement anew each call: twice a turn, that showed."""
    return session.execute(_CONVERSATION, {"conversation_id": conversation_id}).scalar_one_or_none()


def _row(message: Message) -> dict:
    """A new message's columns; its analysis comes later (and stays SQL NULL until then)."""
    return {"conversation_id": message.conversation_id, "sender": message.sender, "text": message.text,
            "payload": message.payload, "status": message.status, "created_at": message.created_at}


class ConversationStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._opened: TTLCache[str, OpenedConversation] = TTLCache(OPENED_KEPT, OPENED_FOR_S)
        self._opened_lock = threading.Lock()  # authorize fills it from the thread pool

    def create(self, channel: str = "web", customer_id: str | None = None) -> NewConversation:
        """Open a conversation; the token is shown once and only its hash is kept."""
        token = secrets.token_urlsafe(32)
        conversation = Conversation(id=str(uuid.uuid4()), token_hash=_hash_token(token), channel=channel,
                                    customer_id=customer_id)
        with self._sessions.begin() as session:
            session.add(conversation)
        self._keep_opened(conversation)
        return NewConversation(id=conversation.id, token=token)

    def authorize(self, conversation_id: str, token: str | None) -> OpenedConversation:
        """The conversation if the token opens it, else ConversationNotFound: the database's
        answer, remembered for `opened`."""
        conversation = self.get(conversation_id)
        if conversation is None or not _opens(conversation.token_hash, token):
            raise ConversationNotFound(conversation_id)
        return self._keep_opened(conversation)

    def opened(self, conversation_id: str, token: str | None) -> OpenedConversation | None:
        """The conversation from memory if this worker opened it lately and the token opens
        it; None means "ask `authorize`", not "refused"."""
        with self._opened_lock:
            opened = self._opened.get(conversation_id)
        return opened if opened is not None and _opens(opened.token_hash, token) else None

    def _keep_opened(self, conversation: Conversation) -> OpenedConversation:
        opened = OpenedConversation(conversation.id, conversation.channel, conversation.token_hash)
        with self._opened_lock:
            self._opened[conversation.id] = opened
        return opened

    def _forget_opened(self, conversation_id: str) -> None:
        with self._opened_lock:
            self._opened.pop(conversation_id, None)

    def get(self, conversation_id: str) -> Conversation | None:
        """The conversation as stored now (its mode changes while a message is in flight)."""
        if not _storable_id(conversation_id):
            return None
        with self._sessions() as session:
            return _read_conversation(session, conversation_id)

    def add_customer_message(self, conversation_id: str, text: str, redacted: tuple[str, ...] = ()) -> Message:
        """`redacted`: what bot.privacy.redact masked in the text (kept so the customer is told)."""
        with self._sessions.begin() as session:
            return _insert_customer_message(session.connection(), conversation_id, text, redacted)

    def receive(self, conversation_id: str, text: str, redacted: tuple[str, ...] = (),
                token_hash: str | None = None) -> tuple[Message, Conversation]:
        """Read the conversation as it is now (its mode decides who answers) and store a
        customer message, in one transaction: a turn's first trip to the database.
        `token_hash`: what a customer's token was checked against; when the conversation no
        longer has it (anonymised since), ConversationNotFound and nothing is stored."""
        with self._sessions.begin() as session:
            current = _read_conversation(session, conversation_id)
            if current is None or (token_hash is not None
                                   and not hmac.compare_digest(current.token_hash, token_hash)):
                self._forget_opened(conversation_id)
                raise ConversationNotFound(conversation_id)
            message = _insert_customer_message(session.connection(), conversation_id, text, redacted)
            return message, current

    def record_bot_replies(self, message: Message, replies: list[dict],
                           analysis: dict | None = None, policy_state: dict | None = None) -> list[Message]:
        """Store the bot's replies, mark the customer message answered and keep its analysis
        and the escalation policy's state after it, in one transaction."""
        now = utcnow()
        stored = [
            Message(conversation_id=message.conversation_id, sender=Sender.bot,
                    text=reply.get("text") or "", created_at=now,
                    payload={k: v for k, v in reply.items() if k not in ("text", "recipient_id")} or None)
            for reply in replies
        ]
        with self._sessions.begin() as session:
            connection = session.connection()
            for reply in stored:  # one or two a turn: a batch's INSERT is built anew each time
                reply.id = connection.execute(_INSERT_MESSAGE, _row(reply)).scalar_one()
            if analysis is None:
                connection.execute(_ANSWERED, {"answered": message.id})
            else:
                connection.execute(_ANSWERED_WITH_ANALYSIS, {"answered": message.id, "new_analysis": analysis})
                message.analysis = analysis
            if policy_state is not None:
                connection.execute(_KEEP_POLICY_STATE, {"state_of": message.conversation_id,
                                                        "new_policy_state": policy_state})
            facts.record(connection, message.conversation_id, stored=stored,
                         read=[message] if analysis is not None else [])
        message.status = DeliveryStatus.answered
        return stored

    def add_message(self, conversation_id: str, sender: Sender, text: str,
                    payload: dict | None = None) -> Message:
        """A message the desk or an agent writes to the customer."""
        message = Message(conversation_id=conversation_id, sender=sender, text=text, payload=payload)
        with self._sessions.begin() as session:
            session.add(message)
        return message

    def tell_once(self, conversation_id: str, text: str) -> Message | None:
        """The redaction notice, stored unless this conversation has had it already."""
        with self._sessions.begin() as session:
            conversation = session.get(Conversation, conversation_id, with_for_update=True)
            if conversation.redaction_notice_at is not None:
                return None
            conversation.redaction_notice_at = utcnow()
            message = Message(conversation_id=conversation_id, sender=Sender.bot, text=text,
                              payload={"notice": "redacted"})
            session.add(message)
        return message

    def set_analysis(self, message: Message, analysis: dict) -> None:
        with self._sessions.begin() as session:
            session.get(Message, message.id).analysis = analysis
        message.analysis = analysis

    def link_customer(self, conversation_id: str, customer_id: str) -> None:
        """Attach a customer verified in the chat; an already linked conversation keeps its own."""
        with self._sessions.begin() as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation.customer_id is None:
                conversation.customer_id = customer_id

    def ask_survey(self, conversation_id: str) -> None:
        """The bot alone served the customer: the next message may answer "did I solve it?"."""
        with self._sessions.begin() as session:
            conversation = session.get(Conversation, conversation_id)
            conversation.survey_asked_at = utcnow()
            conversation.mode = Mode.survey

    def record_solved(self, conversation_id: str, solved: bool | None) -> None:
        """The survey's answer (None: the customer wrote something else); the bot resumes."""
        with self._sessions.begin() as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation.mode == Mode.survey:
                conversation.mode = Mode.bot
            if solved is not None:
                conversation.solved = solved

    def set_contact_email(self, conversation_id: str, email: str) -> None:
        with self._sessions.begin() as session:
            session.get(Conversation, conversation_id).contact_email = email

    def owed(self, stuck_before: datetime, limit: int = 200) -> list[Message]:
        """Customer messages the bot still owes an answer, oldest first: in conversations the
        bot serves, after the last message anyone wrote back, and either failed (Rasa was
        down) or still `received` since before `stuck_before` (a turn a restart cut short)."""
        # Asked every few seconds: a later reply is looked up per candidate (by the
        # conversation index), not by grouping every message ever stored.
        reply = aliased(Message)
        answered_since = (select(reply.id).where(reply.conversation_id == Message.conversation_id,
                                                 reply.sender != Sender.customer, reply.id > Message.id)
                          .exists())
        with self._sessions() as session:
            return list(session.scalars(
                select(Message)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(Conversation.mode == Mode.bot, Message.sender == Sender.customer, ~answered_since,
                       or_(Message.status == DeliveryStatus.failed,
                           and_(Message.status == DeliveryStatus.received, Message.created_at < stuck_before)))
                .order_by(Message.id).limit(limit)))

    def message(self, message_id: int) -> Message | None:
        with self._sessions() as session:
            return session.get(Message, message_id)

    def mark_failed(self, message: Message) -> None:
        with self._sessions.begin() as session:
            session.get(Message, message.id).status = DeliveryStatus.failed
        message.status = DeliveryStatus.failed

    def others_of(self, customer_id: str, besides: str, limit: int = 5) -> list[tuple[Conversation, str]]:
        """The customer's other conversations, newest first, each with its last message: one
        customer on the widget and on WhatsApp is one customer with two conversations."""
        with self._sessions() as session:
            conversations = session.scalars(
                select(Conversation).where(Conversation.customer_id == customer_id,
                                           Conversation.id != besides)
                .order_by(Conversation.created_at.desc()).limit(limit)).all()
            return [(c, session.scalar(select(Message.text).where(Message.conversation_id == c.id)
                                       .order_by(Message.id.desc()).limit(1)) or "")
                    for c in conversations]

    def recent(self, conversation_id: str, limit: int) -> list[Message]:
        """The last `limit` messages, oldest first: what a per-turn decision reads, so that
        its cost does not grow with the conversation."""
        with self._sessions() as session:
            newest = list(session.scalars(select(Message).where(Message.conversation_id == conversation_id)
                                          .order_by(Message.id.desc()).limit(limit)))
        return newest[::-1]

    def transcript(self, conversation_id: str) -> list[Message]:
        if not _storable_id(conversation_id):
            return []
        with self._sessions() as session:
            return list(session.scalars(
                select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
            ))
