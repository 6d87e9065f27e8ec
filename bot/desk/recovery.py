"""Answers what the bot owes once Rasa is back: messages stored while it was down, or whose
turn a desk restart cut short, are answered in order, each once, and the replies reach the
customer on their channel. A conversation kept waiting longer than configured goes to a
person instead (reason `bot_unavailable`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from starlette.concurrency import run_in_threadpool

from bot.db import aware, utcnow
from bot.desk.action_health import ActionHealth
from bot.desk.conversations import ConversationStore
from bot.desk.escalation import Escalator
from bot.desk.messaging import BotUnavailable, MessageRouter
from bot.desk.models import Message
from bot.desk.rasa_client import RasaClient
from bot.locks import LockUnavailable, Locks

log = logging.getLogger(__name__)
# Pushes stored replies to the customer: the widget's socket and the messaging channels.
Tell = Callable[[str, list[Message]], Awaitable[None]]


class Recovery:
    def __init__(self, store: ConversationStore, router: MessageRouter, rasa: RasaClient,
                 escalator: Escalator, tell: Tell, turn_timeout_s: float, give_up_after_s: float,
                 actions: ActionHealth, locks: Locks, poll_s: float = 2.0, idle_poll_s: float = 10.0) -> None:
        self._store = store
        self._locks = locks
        self._actions = actions
        self._router = router
        self._rasa = rasa
        self._escalator = escalator
        self._tell = tell
        self._stuck_after = timedelta(seconds=turn_timeout_s + 10)  # no live turn takes that long
        self._give_up_after = timedelta(seconds=give_up_after_s)
        # Every `poll_s` while messages are owed; else every `idle_poll_s` (for turns a restart
        # cut short) or at once when this worker's router leaves one for recovery.
        self._poll_s = poll_s
        self._idle_poll_s = idle_poll_s
        self._task: asyncio.Task | None = None
        self._rasa_was_down = False
        self._locks_were_down = False

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        owed = self._router.owed
        while True:
            owing = True
            owed.clear()  # before the sweep: a message left during it brings the next one
            try:
                owing = await self.sweep()
                self._locks_were_down = False
            except LockUnavailable:  # Redis is down: the owed messages wait, stored
                if not self._locks_were_down:
                    log.warning("recovery: the lock store (Redis) is unreachable; owed answers wait for it")
                self._locks_were_down = True
            except Exception:  # a database hiccup must not end recovery
                log.exception("recovery: sweep failed")
            if owing:
                await asyncio.sleep(self._poll_s)
                continue
            try:
                await asyncio.wait_for(owed.wait(), self._idle_poll_s)
            except asyncio.TimeoutError:
                pass

    async def sweep(self) -> bool:
        """One desk worker at a time: the others' sweeps skip while one runs. True when
        messages were owed (the next sweep comes sooner)."""
        async with self._locks.try_hold("recovery") as held:
            return await self._sweep() if held else False

    async def _sweep(self) -> bool:
        owed = await run_in_threadpool(self._store.owed, utcnow() - self._stuck_after)
        if not owed:
            return False
        if not await self._rasa.healthy() or not await self._actions.check():
            if not self._rasa_was_down:
                log.warning("recovery: Rasa or the action server is down; %d message(s) wait for an answer",
                        len(owed))
            self._rasa_was_down = True
            await self._give_up_on_long_waits(owed)
            return True
        if self._rasa_was_down:
            log.warning("recovery: the bot is back; answering %d waiting message(s)", len(owed))
            self._rasa_was_down = False
        for message in owed:
            try:
                exchange = await self._router.answer_owed(message)
            except BotUnavailable:
                return True  # down again: the next sweep tries from here
            if exchange is not None:
                await self._tell(message.conversation_id, exchange.replies)
        return True

    async def _give_up_on_long_waits(self, owed: list[Message]) -> None:
        now, waiting = utcnow(), {}
        for message in owed:
            waiting.setdefault(message.conversation_id, message)  # each conversation's oldest
        for conversation_id, oldest in waiting.items():
            if now - aware(oldest.created_at) < self._give_up_after:
                continue
            conversation = await run_in_threadpool(self._store.get, conversation_id)
            waited = (now - aware(oldest.created_at)).total_seconds()
            log.warning("recovery: conversation %s goes to a person (bot unavailable)", conversation_id)
            replies = await self._escalator.bot_unavailable(
                conversation, f"the assistant could not answer for {waited:.0f} s")
            await self._tell(conversation_id, replies)
