"""Routes a customer message: validate, store, then the bot, a person, or the rating answers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from bot.desk.action_health import ActionHealth
from bot.desk.analysis import analysis_of, reply_marker, sentiment_read, shown
from bot.desk.conversations import ConversationStore, OpenedConversation
from bot.desk.escalation import Escalator
from bot.desk.metrics import DeskMetrics
from bot.desk import notices
from bot.desk.models import Conversation, DeliveryStatus, Message, Mode
from bot.desk.rasa_client import RasaClient, RasaUnavailable
from bot.desk.review import ReviewRecorder
from bot.desk.survey import SolvedSurvey
from bot.locks import LockUnavailable, Locks
from bot.privacy.redact import Redactor
from bot.text import clean

T = TypeVar("T")


class InvalidMessage(ValueError):
    """The text cannot be accepted; nothing was stored."""


class BotUnavailable(RuntimeError):
    """The message is stored but the bot could not answer it."""

    def __init__(self, message: Message, reason: str) -> None:
        super().__init__(reason)
        self.message = message


@dataclass
class Exchange:
    message: Message
    replies: list[Message]


def check_text(text: str, max_chars: int) -> str:
    text = clean(text)
    if not text.strip():
        raise InvalidMessage("message text is empty")
    if len(text) > max_chars:
        raise InvalidMessage(f"message is longer than {max_chars} characters ({len(text)})")
    return text.strip()


def verified_in_chat(replies: list[dict]) -> str | None:
    """The customer id an action verified in this turn (e-mail plus order number), if any."""
    customer_id = reply_marker(replies, "verified_customer")
    return customer_id if isinstance(customer_id, str) else None


class MessageRouter:
    def __init__(self, store: ConversationStore, rasa: RasaClient, escalator: Escalator,
                 max_chars: int, actions: ActionHealth, locks: Locks,
                 review: ReviewRecorder | None = None, metrics: DeskMetrics | None = None,
                 survey: SolvedSurvey | None = None, redactor: Redactor | None = None) -> None:
        self._store = store
        # Card numbers, security codes, IBANs and passwords are masked before anything stores
        # the text or Rasa reads it (docs/privacy.md).
        self._redactor = redactor or Redactor()
        self._survey = survey
        self._metrics = metrics or DeskMetrics()  # unscraped when none is given
        self._actions = actions
        self._review = review
        self._rasa = rasa
        self._escalator = escalator
        self._max_chars = max_chars
        # One customer message at a time per conversation (across desk workers too), so
        # replies stay in order.
        self._locks = locks
        # Set when a message is left for recovery to answer, so that it looks at once.
        self.owed = asyncio.Event()

    async def handle(self, conversation: Conversation | OpenedConversation, text: str) -> Exchange:
        """Store the message, then let whoever answers now answer it: the bot, or (in human
        mode) nobody but the agent, later; after a resolution, the rating question first, and
        after a farewell, "did I solve your problem?". A conversation a customer's token
        opened raises ConversationNotFound (nothing stored) if the token no longer opens it."""
        text = check_text(text, self._max_chars)
        receive = (partial(self._store.receive, token_hash=conversation.token_hash)
                   if isinstance(conversation, OpenedConversation) else self._store.receive)
        try:
            async with self._locks.hold(f"conversation:{conversation.id}"):
                message, current = await self._store_message(conversation, text, receive)
                return await self._answer(current, message)
        except LockUnavailable as error:  # raised before the block ran: nothing is stored yet
            message = await self._store_message(conversation, text, self._store.add_customer_message)
            await self._leave_for_recovery(message)  # recovery answers it, in order
            self._metrics.bot_unavailable.labels("locks").inc()
            raise BotUnavailable(message, str(error)) from error

    async def accept(self, conversation: Conversation, text: str) -> Message:
        """Validate and store only: a channel that must acknowledge at once (Slack) stores the
        message before it answers the provider, then calls `answer` in the background."""
        text = check_text(text, self._max_chars)
        return await self._store_message(conversation, text, self._store.add_customer_message)

    async def _store_message(self, conversation: Conversation | OpenedConversation, text: str,
                             store: Callable[..., T]) -> T:
        """`store`: the store's add_customer_message, or its receive (which also reads the
        conversation back)."""
        redaction = self._redactor.redact(text)
        with self._metrics.timed("store"):
            stored = await run_in_threadpool(store, conversation.id, redaction.text, redaction.kinds)
        self._metrics.customer_messages.labels(conversation.channel).inc()
        return stored

    async def answer(self, conversation: Conversation, message: Message) -> Exchange:
        try:
            async with self._locks.hold(f"conversation:{conversation.id}"):
                current = await run_in_threadpool(self._store.get, conversation.id)
                return await self._answer(current, message)
        except LockUnavailable as error:
            await self._leave_for_recovery(message)
            self._metrics.bot_unavailable.labels("locks").inc()
            raise BotUnavailable(message, str(error)) from error

    async def answer_owed(self, message: Message) -> Exchange | None:
        """Answer a message the bot could not answer when it came (recovery); None when it
        has been answered meanwhile or the conversation went to a person."""
        async with self._locks.hold(f"conversation:{message.conversation_id}"):
            current = await run_in_threadpool(self._store.message, message.id)
            if current is None or current.status == DeliveryStatus.answered:
                return None
            conversation = await run_in_threadpool(self._store.get, message.conversation_id)
            if conversation.mode != Mode.bot:
                return None
            return await self._ask_bot(conversation, current)

    async def _leave_for_recovery(self, message: Message) -> None:
        await run_in_threadpool(self._store.mark_failed, message)
        self.owed.set()

    async def _answer(self, conversation: Conversation, message: Message) -> Exchange:
        """`conversation` as read under the conversation's lock (a person may have taken it)."""
        notice = await self._redaction_notice(message)
        exchange = await self._answer_as_mode(conversation, message)
        if notice is not None:
            exchange.replies.insert(0, notice)
        return exchange

    async def _redaction_notice(self, message: Message) -> Message | None:
        kinds = tuple((message.payload or {}).get("redacted") or ())
        if not kinds:
            return None
        return await run_in_threadpool(self._store.tell_once, message.conversation_id, notices.redacted(kinds))

    async def _answer_as_mode(self, current: Conversation, message: Message) -> Exchange:
        if current.mode == Mode.human:
            return Exchange(message, await self._escalator.while_with_a_person(current, message))
        if current.mode == Mode.rating:
            replies = await self._escalator.take_rating(current, message)
            if replies is not None:
                return Exchange(message, replies)
        if current.mode == Mode.survey and self._survey is not None:
            replies = await self._survey.take_answer(current, message)
            if replies is not None:
                return Exchange(message, replies)
        return await self._ask_bot(current, message)

    async def _ask_bot(self, conversation: Conversation, message: Message) -> Exchange:
        metadata = {"channel": conversation.channel, "customer_id": conversation.customer_id}
        if not self._actions.up:
            await self._leave_for_recovery(message)
            self._metrics.bot_unavailable.labels("action_server").inc()
            raise BotUnavailable(message, "the action server is down")
        try:
            with self._metrics.timed("rasa"):
                turn = await self._rasa.send(conversation.id, message.text, metadata)
        except RasaUnavailable as error:
            await self._leave_for_recovery(message)
            self._metrics.bot_unavailable.labels("rasa").inc()
            raise BotUnavailable(message, str(error)) from error
        replies = turn.replies
        # Rasa scores the message from the sentence vector it computed anyway
        # (components/sentiment_annotator.py); the desk only when a model lacks that.
        score = sentiment_read(turn.reading) or await self._escalator.score(message.text)
        analysis = analysis_of(score, turn.reading, Mode.bot, replies)
        if turn.unreachable_actions:  # Rasa's reply stands in for actions that failed
            await self._actions.check()  # the next turns wait until it is back
            await self._leave_for_recovery(message)
            self._metrics.bot_unavailable.labels("action_server").inc()
            raise BotUnavailable(message, "the action server went down during the turn")
        message.analysis = analysis
        policy_state = await self._escalator.observe(conversation, message)
        stored = await run_in_threadpool(self._store.record_bot_replies, message, shown(replies), analysis,
                                         policy_state.to_json())
        if self._review is not None:
            self._review.after_bot_turn(message, analysis, replies)
        verified = verified_in_chat(replies)
        if verified and conversation.customer_id is None:
            await run_in_threadpool(self._store.link_customer, conversation.id, verified)
            conversation.customer_id = verified
        with self._metrics.timed("policy"):
            handed_over = await self._escalator.after_bot_turn(conversation, message, policy_state, replies)
        stored += handed_over
        if self._survey is not None and not handed_over:
            stored += await self._survey.after_bot_turn(conversation, analysis, replies)
        return Exchange(message=message, replies=stored)
