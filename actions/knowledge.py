"""Knowledge-base actions: answer from the articles, and record whether it helped."""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import say
from bot.db import make_engine, make_session_factory
from bot.dialogue.clarify import clarification
from bot.dialogue.replies import feedback_reply, knowledge_replies
from bot.kb.answering import answer_question
from bot.kb.base import KnowledgeBase, knowledge_base_from_settings
from bot.kb.feedback import FeedbackLog
from bot.settings import get_settings

log = logging.getLogger(__name__)


@cache
def knowledge_base() -> KnowledgeBase:
    """Loaded once per action-server process, then kept current by a file watcher."""
    kb = knowledge_base_from_settings(get_settings())
    kb.watch()
    return kb


@cache
def feedback_log() -> FeedbackLog:
    return FeedbackLog(make_session_factory(make_engine(get_settings().database_url)))


class ActionAnswerFromKnowledgeBase(Action):
    def name(self) -> str:
        return "action_answer_from_kb"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        question = tracker.latest_message.get("text") or ""
        in_form = bool(tracker.active_loop.get("name"))
        ask = None if in_form else clarification(tracker.get_intent_of_latest_message(),
                                                 tracker.latest_message.get("intent_ranking") or [])
        if ask is not None:
            say(dispatcher, ask)
            return []
        settings = get_settings()
        recognised = tracker.get_intent_of_latest_message() != "nlu_fallback"
        threshold = settings.kb_intent_threshold if recognised else settings.kb_answer_threshold
        answer = answer_question(knowledge_base(), question, threshold)
        best = answer.best if answer.confident else None
        question_id = feedback_log().record_question(
            tracker.sender_id, question, answer.confident,
            best.passage.article_id if best else None, best.passage.id if best else None,
            answer.best.score if answer.best else None)
        marker = {"kb_answer": {"question_id": question_id, "answered": answer.confident}}
        for i, reply in enumerate(knowledge_replies(answer, ask_feedback=answer.confident and not in_form)):
            say(dispatcher, reply, marker if i == 0 else None)
        return [SlotSet("kb_question_id", question_id if answer.confident and not in_form else None)]


class ActionKnowledgeBaseFeedback(Action):
    def name(self) -> str:
        return "action_kb_feedback"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        question_id = tracker.get_slot("kb_question_id")
        helpful = None
        if question_id is not None:
            helpful = tracker.get_intent_of_latest_message() == "affirm"
            feedback_log().record_helpful(int(question_id), tracker.sender_id, helpful)
        marker = {"kb_feedback": {"question_id": int(question_id), "helpful": helpful}} if helpful is not None else None
        say(dispatcher, feedback_reply(helpful), marker)
        return [SlotSet("kb_question_id", None)]


knowledge_base()  # load the model and index when the action server starts, not on the first question
