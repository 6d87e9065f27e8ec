"""Feeds the editors' review inbox from what the desk sees in each turn.

Runs after the customer has their reply (a background task): the inbox is derived data,
and a message is stored before anything else happens, whatever becomes of this.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.concurrency import run_in_threadpool

from bot.desk.analysis import reply_marker
from bot.desk.conversations import ConversationStore
from bot.desk.models import Message
from bot.encoder import Encoder
from bot.studio.inbox import Reason, ReviewStore, nlu_reasons, reading_of

log = logging.getLogger(__name__)


class ReviewRecorder:
    def __init__(self, store: ReviewStore, conversations: ConversationStore, encoder: Encoder,
                 min_confidence: float, tie_margin: float) -> None:
        self.store = store
        self._conversations = conversations
        self._encoder = encoder
        self._min_confidence = min_confidence
        self._tie_margin = tie_margin
        self._tasks: set[asyncio.Task] = set()

    def after_bot_turn(self, message: Message, analysis: dict[str, Any],
                       replies: list[dict[str, Any]]) -> None:
        reasons = nlu_reasons(analysis, self._min_confidence, self._tie_margin)
        kb_answer = reply_marker(replies, "kb_answer") or {}
        if kb_answer.get("answered") is False:
            reasons.append(Reason.kb_declined)
        if reasons:
            self._spawn(self._record(message, analysis, reasons))
        feedback = reply_marker(replies, "kb_feedback") or {}
        if feedback.get("helpful") is False:
            self._spawn(self._not_helpful(message.conversation_id, feedback.get("question_id")))

    async def _not_helpful(self, conversation_id: str, question_id: Any) -> None:
        """The question whose answer the customer said did not help goes to the inbox."""
        messages = await run_in_threadpool(self._conversations.transcript, conversation_id)
        asked = next((m for m in reversed(messages)
                      if (m.analysis or {}).get("kb_question_id") == question_id), None)
        if asked is not None:
            await self._record(asked, asked.analysis or {}, [Reason.not_helpful])

    def escalated(self, conversation_id: str, reason_codes: set[str]) -> None:
        if Reason.not_understood.value in reason_codes:
            self._spawn(run_in_threadpool(self.store.add_reason, conversation_id, Reason.not_understood,
                                          {Reason.fallback, Reason.low_confidence, Reason.near_tie}))

    async def _record(self, message: Message, analysis: dict[str, Any], reasons: list[Reason]) -> None:
        vector = (await run_in_threadpool(self._encoder.encode, [message.text]))[0]
        await run_in_threadpool(self.store.record, message.id, message.conversation_id, message.text,
                                reasons, reading_of(analysis), vector)

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("could not add a message to the review inbox", exc_info=task.exception())

    async def drain(self) -> None:
        """Wait for inbox writes in flight (shutdown, tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
