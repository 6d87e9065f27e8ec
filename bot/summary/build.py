"""Builds the handoff summary from what was said and done, never from what was not.

Every field is copied or counted from the transcript, Rasa's tracker, the profile store and
the escalation decision: the one-line issue is the customer's own sentence that best stands
for the rest (closest to the centroid of their substantive messages under the sentence
encoder), so the summary cannot invent a fact.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import numpy as np

from bot.escalation.policy import Decision
from bot.profiles.store import CustomerView, OrderView

# Intents that say nothing about the problem itself.
SMALL_TALK = {"greet", "goodbye", "affirm", "deny", "thank", "bot_challenge", "inform", "nlu_fallback",
              "contact_human_agent", "mood_great", "mood_unhappy"}
SILENT_ACTIONS = {"action_listen", "action_session_start", "action_restart", "action_unlikely_intent",
                  "action_default_ask_affirmation", "action_extract_slots", "action_back"}
LAST_MESSAGES = 6
MIN_ISSUE_WORDS = 3


class SentenceEncoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Line:
    """One message of the transcript; `analysis` as the desk stored it for customer messages."""

    message_id: int
    sender: str
    text: str
    at: datetime
    analysis: dict[str, Any] | None = None


@dataclass(frozen=True)
class ArticleTried:
    question: str
    article_title: str | None
    helpful: bool | None


def build_summary(lines: list[Line], events: list[dict[str, Any]], decision: Decision,
                  customer: CustomerView | None = None, open_orders: list[OrderView] | None = None,
                  articles: list[ArticleTried] | None = None,
                  encoder: SentenceEncoder | None = None) -> dict[str, Any]:
    customer_lines = [line for line in lines if line.sender == "customer"]
    return {
        **_issue(customer_lines, encoder),
        "customer": _customer(customer, open_orders or []),
        "wants": _wants(customer_lines),
        "tried": _tried(events, articles or [], customer_lines),
        "sentiment": [_sentiment_point(line) for line in customer_lines if _sentiment(line)],
        "escalation": {"reasons": [{"code": r.code, "detail": r.detail} for r in decision.reasons],
                       "priority": decision.priority},
        "last_messages": [{"sender": line.sender, "text": line.text} for line in lines[-LAST_MESSAGES:]],
    }


def _intent(line: Line) -> str | None:
    return ((line.analysis or {}).get("intent") or {}).get("name")


def _sentiment(line: Line) -> dict[str, Any] | None:
    return (line.analysis or {}).get("sentiment")


def _issue(customer_lines: list[Line], encoder: SentenceEncoder | None) -> dict[str, Any]:
    substantive = [line for line in customer_lines
                   if _intent(line) not in SMALL_TALK and len(line.text.split()) >= MIN_ISSUE_WORDS]
    candidates = substantive or [line for line in customer_lines if line.text.strip()]
    if not candidates:
        return {"issue": "", "topic": None}
    best = candidates[0]
    if encoder is not None and len(candidates) > 2:
        vectors = encoder.encode([line.text for line in candidates])
        centroid = vectors.mean(axis=0)
        best = candidates[int(np.argmax(vectors @ centroid))]
    topics = Counter(_intent(line) for line in substantive if _intent(line))
    return {"issue": best.text, "topic": topics.most_common(1)[0][0] if topics else None}


def _customer(customer: CustomerView | None, open_orders: list[OrderView]) -> dict[str, Any] | None:
    if customer is None:
        return None
    return {"id": customer.id, "name": f"{customer.first_name} {customer.last_name}",
            "tier": customer.tier, "verified": True,
            "open_orders": [order_facts(order) for order in open_orders]}


def order_facts(order: OrderView) -> dict[str, Any]:
    return {"id": order.id, "status": order.status, "placed_on": order.placed_at.date().isoformat(),
            "total": f"${order.total_cents / 100:,.2f}"}


def _wants(customer_lines: list[Line]) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    best: dict[str, float] = {}
    entities: dict[str, list[str]] = {}
    for line in customer_lines:
        intent = (line.analysis or {}).get("intent") or {}
        if intent.get("name") and intent["name"] not in ("nlu_fallback",):
            counts[intent["name"]] += 1
            best[intent["name"]] = max(best.get(intent["name"], 0.0), float(intent.get("confidence") or 0))
        for entity in (line.analysis or {}).get("entities") or []:
            values = entities.setdefault(entity["entity"], [])
            if str(entity["value"]) not in values:
                values.append(str(entity["value"]))
    return {"intents": [{"name": name, "count": count, "confidence": round(best[name], 2)}
                        for name, count in counts.most_common()],
            "entities": entities}


def _tried(events: list[dict[str, Any]], articles: list[ArticleTried],
           customer_lines: list[Line]) -> list[dict[str, Any]]:
    """Each bot turn's actions, and how the customer answered the next time they wrote."""
    turns: list[list[str]] = []
    reactions: list[str | None] = []
    articles_left = list(articles)
    current: list[str] | None = None
    for event in events:
        if event.get("event") == "user":
            if current:
                turns.append(current)
                reactions.append(_reaction(event, customer_lines))
            current = []
        elif event.get("event") == "action" and current is not None:
            name = event.get("name") or ""
            if name in SILENT_ACTIONS or name.startswith("validate_"):
                continue
            if name == "action_answer_from_kb" and articles_left:
                tried = articles_left.pop(0)
                label = (f'answered from the article "{tried.article_title}"' if tried.article_title
                         else "searched the help articles, found nothing confident")
                if tried.helpful is not None:
                    label += f" (customer said {'helpful' if tried.helpful else 'not helpful'})"
                current.append(label)
            else:
                current.append(_action_label(name))
    if current:
        turns.append(current)
        reactions.append(None)
    return [{"what": "; ".join(dict.fromkeys(turn)), "reaction": reaction}
            for turn, reaction in zip(turns, reactions) if turn]


def _action_label(name: str) -> str:
    for prefix in ("action_", "utter_"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    return name.replace("_", " ")


def _reaction(user_event: dict[str, Any], customer_lines: list[Line]) -> str | None:
    text = user_event.get("text") or ""
    intent = ((user_event.get("parse_data") or {}).get("intent") or {}).get("name")
    line = next((line for line in customer_lines if line.text == text), None)
    sentiment = _sentiment(line) if line else None
    quoted = text if len(text) <= 80 else text[:77] + "..."
    parts = [f'"{quoted}"']
    if intent:
        parts.append(intent)
    if sentiment:
        parts.append(sentiment["label"])
    return ", ".join(parts)


def _sentiment_point(line: Line) -> dict[str, Any]:
    sentiment = _sentiment(line)
    return {"message_id": line.message_id, "at": line.at.isoformat(), "label": sentiment["label"],
            "negative": round(sentiment["negative"], 2), "anger": round(sentiment["anger"], 2)}
