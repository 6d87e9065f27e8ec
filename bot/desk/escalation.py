"""The desk's side of escalation: score each message, decide, and hand over with a summary.

Runs in the desk because the desk owns the conversation: it sees every message (also those
a person answers), stores the analysis next to the message, and is the one that stops
sending messages to Rasa once a person takes over.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool

from bot.desk import notices
from bot.desk.analysis import analysis_of, policy_turn, policy_turns, reply_marker
from bot.desk.conversations import ConversationStore
from bot.desk.handoffs import HandoffStore
from bot.desk.live import LiveHub
from bot.desk.models import Conversation, HandoffStatus, Message, Mode, Sender
from bot.desk.rasa_client import RasaClient, RasaUnavailable
from bot.desk.review import ReviewRecorder
from bot.dialogue.values import parse_email
from bot.escalation.policy import Decision, EscalationPolicy, PolicyState, Reason
from bot.escalation.sentiment import SentimentModel, SentimentScore
from bot.kb.feedback import FeedbackLog
from bot.profiles.store import ProfileStore
from bot.summary import ArticleTried, Line, build_summary

log = logging.getLogger(__name__)
# The messages (customer's and replies) a conversation stored before the desk kept the
# policy's state is rebuilt from, once: its windows are a few turns.
POLICY_HISTORY = 100
RATING = re.compile(r"^\s*([1-5])\s*(?:/\s*5|stars?|out of 5)?\s*[.!]?\s*$", re.IGNORECASE)


def handoff_requested(replies: list[dict[str, Any]]) -> bool:
    """Rasa's action_handoff ran this turn (the customer asked for a person)."""
    return reply_marker(replies, "handoff") is not None


def priority_points(decision: Decision, tier: str, points: dict[str, float]) -> float:
    codes = {"sensitive" if r.code.startswith("sensitive_") else r.code for r in decision.reasons}
    return sum(points.get(code, 0.0) for code in codes) + (points.get("vip", 0.0) if tier == "vip" else 0.0)


@dataclass
class Escalator:
    conversations: ConversationStore
    handoffs: HandoffStore
    rasa: RasaClient
    policy: EscalationPolicy
    sentiment: SentimentModel
    profiles: ProfileStore
    feedback: FeedbackLog
    hub: LiveHub
    article_titles: Callable[[], dict[str, str]]
    review: ReviewRecorder | None = None

    async def score(self, text: str) -> SentimentScore:
        return await run_in_threadpool(self.sentiment.score, text)

    async def observe(self, conversation: Conversation, message: Message) -> PolicyState:
        """The policy's state after this bot turn (`message.analysis` holds the reading), to be
        stored with the turn's replies."""
        if conversation.policy_state is None:  # stored before the desk kept the state
            state = await run_in_threadpool(self._rebuilt_state, conversation.id, message.id)
        else:
            state = PolicyState.from_json(conversation.policy_state)
        turn = policy_turn(message)
        return state if turn is None else self.policy.observe(state, turn)

    async def after_bot_turn(self, conversation: Conversation, message: Message, state: PolicyState,
                             replies: list[dict[str, Any]]) -> list[Message]:
        """Escalate if the customer asked for a person (Rasa's handoff) or the policy says so."""
        tier = await self._tier_of(conversation.customer_id)
        turn = policy_turn(message)
        decision = self.policy.judge(state, turn, tier) if turn is not None else Decision(False)
        requested = handoff_requested(replies)
        if requested and not any(r.code == "customer_request" for r in decision.reasons):
            decision = Decision(True, (Reason("customer_request", "the customer asked for a person"),
                                       *decision.reasons), "high" if tier == "vip" else decision.priority)
        if not decision.escalate:
            return []
        return await self.escalate(conversation, decision, tier, announced=requested)

    async def escalate(self, conversation: Conversation, decision: Decision, tier: str,
                       announced: bool = False) -> list[Message]:
        """Queue the conversation with its summary; tell the customer what happens next."""
        try:
            tracker = await self.rasa.tracker(conversation.id)
        except RasaUnavailable:
            tracker = {}
        summary = await run_in_threadpool(self._summary, conversation, decision, tracker)
        points = priority_points(decision, tier, self.policy.config["queue"]["points"])
        reasons = [{"code": r.code, "detail": r.detail} for r in decision.reasons]
        await run_in_threadpool(self.handoffs.escalate, conversation.id, points, reasons, summary)
        if self.review is not None:
            self.review.escalated(conversation.id, {r.code for r in decision.reasons})
        await self._close_open_form(conversation.id)
        position = await run_in_threadpool(self.handoffs.position, conversation.id)
        online = await self.hub.agents_online()
        texts = [] if announced else [notices.bringing_in_a_person()]
        texts.append(notices.queued(position, online, self.policy.config["queue"]["hours"]))
        stored = [await run_in_threadpool(
            self.conversations.add_message, conversation.id, Sender.bot, text,
            {"custom": {"handoff": {"status": "queued", "position": position, "agents_online": online}}})
            for text in texts]
        await self.hub.queue_changed()
        return stored

    async def bot_unavailable(self, conversation: Conversation, detail: str) -> list[Message]:
        """Queue a conversation the bot could not answer for too long."""
        tier = await self._tier_of(conversation.customer_id)
        decision = Decision(True, (Reason("bot_unavailable", detail),), "high" if tier == "vip" else "normal")
        return await self.escalate(conversation, decision, tier)

    async def while_with_a_person(self, conversation: Conversation, message: Message) -> list[Message]:
        """A message for the agent: scored for the console, e-mail kept if nobody is online."""
        score = await self.score(message.text)
        await run_in_threadpool(self.conversations.set_analysis, message,
                                analysis_of(score, {}, Mode.human))
        replies = []
        email = next(filter(None, map(parse_email, message.text.split())), None)
        handoff = await run_in_threadpool(self.handoffs.current, conversation.id)
        waiting = handoff is not None and handoff.status == HandoffStatus.queued
        # Only while nobody has picked the conversation up; with an agent it is just chat.
        if email and waiting and conversation.contact_email is None:
            await run_in_threadpool(self.conversations.set_contact_email, conversation.id, email)
            replies.append(await run_in_threadpool(self.conversations.add_message, conversation.id,
                                                   Sender.bot, notices.email_noted(email)))
        await self.hub.conversation_changed(conversation.id)
        await self.hub.queue_changed()
        return replies

    async def take_rating(self, conversation: Conversation, message: Message) -> list[Message] | None:
        """Record a 1-5 rating; None when the message is something else (then the bot answers)."""
        match = RATING.match(message.text)
        rating = int(match.group(1)) if match else None
        await run_in_threadpool(self.handoffs.record_rating, conversation.id, rating)
        if rating is None:
            return None
        reply = await run_in_threadpool(self.conversations.add_message, conversation.id, Sender.bot,
                                        notices.thanks_for_rating(rating))
        await self.hub.conversation_changed(conversation.id)
        return [reply]

    async def _close_open_form(self, conversation_id: str) -> None:
        """A person takes over, so a form the bot had open (asking for an order number, say)
        must not capture the customer's first message once the bot is back; slots stay."""
        try:
            await self.rasa.append_events(conversation_id, [
                {"event": "active_loop", "name": None},
                {"event": "slot", "name": "requested_slot", "value": None}])
        except RasaUnavailable:
            log.warning("could not close the bot's open form in %s", conversation_id)

    async def _tier_of(self, customer_id: str | None) -> str:
        if not customer_id:  # an anonymous customer: no trip to the profile store's thread
            return "standard"
        customer = await run_in_threadpool(self.profiles.get_customer, customer_id)
        return customer.tier if customer else "standard"

    def _rebuilt_state(self, conversation_id: str, before: int) -> PolicyState:
        since = self.handoffs.last_closed_at(conversation_id)
        recent = [m for m in self.conversations.recent(conversation_id, POLICY_HISTORY) if m.id < before]
        return self.policy.replay(policy_turns(recent, since))

    def _summary(self, conversation: Conversation, decision: Decision, tracker: dict[str, Any]) -> dict[str, Any]:
        lines = [Line(m.id, m.sender.value, m.text, m.created_at, m.analysis)
                 for m in self.conversations.transcript(conversation.id)]
        customer_id = conversation.customer_id
        customer = self.profiles.get_customer(customer_id) if customer_id else None
        orders = self.profiles.orders(customer_id, open_only=True) if customer else []
        titles = self.article_titles()
        articles = [ArticleTried(q.question, titles.get(q.article_id) if q.answered and q.article_id else None,
                                 q.helpful) for q in self.feedback.for_conversation(conversation.id)]
        summary = build_summary(lines, tracker.get("events") or [], decision, customer, orders, articles,
                                encoder=self.sentiment.encoder)
        summary["slots"] = {k: v for k, v in (tracker.get("slots") or {}).items() if v is not None}
        summary["language"] = customer.language if customer else "en"
        return summary
