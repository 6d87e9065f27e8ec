"""What the desk records about each customer message, and the policy's view of it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.db import aware
from bot.desk.models import Message, Mode, Sender
from bot.escalation.policy import Turn
from bot.escalation.sentiment import SentimentScore

FALLBACK_INTENT = "nlu_fallback"
# The customer taking leave: the survey asks then, and analytics count it as an ending.
FAREWELL_INTENTS = frozenset({"goodbye", "thank"})


def reply_marker(replies: list[dict[str, Any]], key: str) -> Any:
    """The value an action attached to one of this turn's replies (`json_message`), if any:
    `handoff`, `verified_customer`, `rejected_answer`."""
    for reply in replies:
        custom = reply.get("custom")
        if isinstance(custom, dict) and key in custom:
            return custom[key]
    return None


# Markers only the desk reads (the review inbox); the others are part of the replies' API
# (the handoff directive an external desk takes over with, the verified customer).
DESK_ONLY = frozenset({"kb_answer", "kb_feedback"})


def shown(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The replies stored and sent on: Rasa sends an action's marker as a reply of its own
    (custom payload, no text); the desk-only ones stop here."""
    return [r for r in replies
            if r.get("text") or r.get("buttons") or r.get("image") or r.get("attachment")
            or not (isinstance(r.get("custom"), dict) and r["custom"].keys() <= DESK_ONLY)]


def analysis_of(score: SentimentScore | None, tracker_state: dict[str, Any], mode: Mode,
                replies: list[dict[str, Any]] = ()) -> dict[str, Any]:
    """Sentiment plus Rasa's reading of the message (intent, ranking, entities, open form)."""
    latest = tracker_state.get("latest_message") or {}
    intent = latest.get("intent") or {}
    analysis: dict[str, Any] = {"mode": mode.value}
    if score is not None:
        analysis["sentiment"] = {"label": score.label, "negative": round(score.negative, 4),
                                 "neutral": round(score.neutral, 4), "positive": round(score.positive, 4),
                                 "anger": round(score.anger, 4)}
    if intent.get("name"):
        analysis["intent"] = {"name": intent["name"], "confidence": round(float(intent.get("confidence") or 0), 4)}
        analysis["ranking"] = [{"name": r.get("name"), "confidence": round(float(r.get("confidence") or 0), 4)}
                               for r in (latest.get("intent_ranking") or [])[:3]]
        analysis["entities"] = [{"entity": e.get("entity"), "value": e.get("value")}
                                for e in latest.get("entities") or []]
    form = (tracker_state.get("active_loop") or {}).get("name")
    asking = (tracker_state.get("slots") or {}).get("requested_slot")
    if form and asking:
        analysis["form_question"] = f"{form}.{asking}"
    if reply_marker(replies, "rejected_answer") is not None:
        analysis["form_rejected"] = True
    kb_answer = reply_marker(replies, "kb_answer")
    if isinstance(kb_answer, dict) and kb_answer.get("question_id") is not None:
        analysis["kb_question_id"] = kb_answer["question_id"]
    if isinstance(kb_answer, dict) and kb_answer.get("answered") is False:
        analysis["kb_declined"] = True  # the knowledge base had no answer (analytics' decline rate)
    return analysis


def score_of(analysis: dict[str, Any] | None) -> SentimentScore | None:
    sentiment = (analysis or {}).get("sentiment")
    if not sentiment:
        return None
    return SentimentScore(sentiment["negative"], sentiment["neutral"], sentiment["positive"], sentiment["anger"])


def sentiment_read(reading: dict[str, Any]) -> SentimentScore | None:
    """The score Rasa attached to the message (`latest_message.sentiment`), if it did."""
    return score_of({"sentiment": (reading.get("latest_message") or {}).get("sentiment")})


def policy_turn(message: Message) -> Turn | None:
    """What the escalation policy reads of a message: a customer's, answered by the bot."""
    analysis = message.analysis or {}
    score = score_of(analysis)
    if message.sender != Sender.customer or analysis.get("mode") != Mode.bot.value or score is None:
        return None
    intent = (analysis.get("intent") or {}).get("name")
    return Turn(message.text, score, intent, fallback=intent == FALLBACK_INTENT,
                form_question=analysis.get("form_question"), form_rejected=bool(analysis.get("form_rejected")))


def policy_turns(messages: list[Message], since: datetime | None) -> list[Turn]:
    """The customer's bot-mode messages since the conversation last came back from a person:
    a resolved handoff starts the policy's count afresh."""
    turns = []
    for message in messages:
        if since is not None and aware(message.created_at) <= aware(since):
            continue
        turn = policy_turn(message)
        if turn is not None:
            turns.append(turn)
    return turns
