""""Did I solve your problem?": asked once when a customer the bot served alone says goodbye
or thanks, so that analytics measure containment instead of assuming it."""

from __future__ import annotations

import re
from typing import Any

from starlette.concurrency import run_in_threadpool

from bot.desk import notices
from bot.desk.analysis import FAREWELL_INTENTS
from bot.desk.conversations import ConversationStore
from bot.desk.handoffs import HandoffStore
from bot.desk.models import Conversation, Message, Sender

YES = re.compile(r"^\s*(yes|yeah|yep|yup|ya|y|sure|it did|solved|sorted|all good|perfect)\b[\s!.,]*",
                 re.IGNORECASE)
NO = re.compile(r"^\s*(no|nope|nah|n|not really|not quite|it didn'?t|not solved)\b[\s!.,]*", re.IGNORECASE)


def solved_answer(text: str) -> bool | None:
    """Yes, no, or None when the text is not an answer to the question (a new question)."""
    if NO.match(text):
        return False
    if YES.match(text) and len(text) <= 40:
        return True
    return None


class SolvedSurvey:
    def __init__(self, conversations: ConversationStore, handoffs: HandoffStore) -> None:
        self._conversations = conversations
        self._handoffs = handoffs

    async def after_bot_turn(self, conversation: Conversation, analysis: dict[str, Any],
                             replies: list[dict[str, Any]]) -> list[Message]:
        """Ask once, after a farewell, in a conversation no person took part in, and never
        while the bot is itself waiting for an answer (an open form, or buttons offered)."""
        intent = (analysis.get("intent") or {}).get("name")
        if intent not in FAREWELL_INTENTS or conversation.survey_asked_at is not None:
            return []
        if analysis.get("form_question") or any(reply.get("buttons") for reply in replies):
            return []
        if await run_in_threadpool(self._handoffs.current, conversation.id) is not None:
            return []  # a person helped: the rating question is theirs
        await run_in_threadpool(self._conversations.ask_survey, conversation.id)
        question = await run_in_threadpool(self._conversations.add_message, conversation.id, Sender.bot,
                                           notices.ask_solved(), {"buttons": notices.SOLVED_BUTTONS})
        return [question]

    async def take_answer(self, conversation: Conversation, message: Message) -> list[Message] | None:
        """Record a yes or no; None when the customer wrote something else (the bot answers)."""
        solved = solved_answer(message.text)
        await run_in_threadpool(self._conversations.record_solved, conversation.id, solved)
        if solved is None:
            return None
        reply = await run_in_threadpool(self._conversations.add_message, conversation.id, Sender.bot,
                                        notices.thanks_for_solved(solved))
        return [reply]
