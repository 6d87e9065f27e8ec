"""The handoff summary only repeats what was said and done."""

from datetime import UTC, datetime

import numpy as np

from bot.escalation.policy import Decision, Reason
from bot.summary import ArticleTried, Line, build_summary

AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def customer(i, text, intent, negative=0.1, anger=0.0, entities=()):
    return Line(i, "customer", text, AT, {
        "mode": "bot", "intent": {"name": intent, "confidence": 0.9},
        "entities": [{"entity": e, "value": v} for e, v in entities],
        "sentiment": {"label": "negative" if negative > 0.5 else "neutral", "negative": negative,
                      "neutral": 1 - negative, "positive": 0.0, "anger": anger}})


LINES = [
    customer(1, "hi", "greet"),
    Line(2, "bot", "Hello! How can I help?", AT),
    customer(3, "where is my order 10482", "order_status", entities=[("order_id", "10482")]),
    Line(4, "bot", "Order 10482 is on its way.", AT),
    customer(5, "it was due a week ago and still has not arrived", "order_status", 0.8, 0.5),
    Line(6, "bot", "Here is our delivery article.", AT),
    customer(7, "this is useless, I want a refund for 10482", "request_refund", 0.95, 0.92),
]
EVENTS = [
    {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet"}}},
    {"event": "action", "name": "utter_greet"}, {"event": "action", "name": "action_listen"},
    {"event": "user", "text": "where is my order 10482", "parse_data": {"intent": {"name": "order_status"}}},
    {"event": "action", "name": "action_order_status"}, {"event": "action", "name": "action_listen"},
    {"event": "user", "text": "it was due a week ago and still has not arrived",
     "parse_data": {"intent": {"name": "order_status"}}},
    {"event": "action", "name": "action_answer_from_kb"}, {"event": "action", "name": "action_listen"},
    {"event": "user", "text": "this is useless, I want a refund for 10482",
     "parse_data": {"intent": {"name": "request_refund"}}},
]
DECISION = Decision(True, (Reason("very_angry", "anger 0.92 in the last message"),), "high")


class KeywordEncoder:
    """Embeds by a few words, enough to make the centroid choice checkable."""

    WORDS = ("order", "10482", "arrived", "refund", "due")

    def encode(self, texts):
        vectors = np.array([[float(w in t.lower()) for w in self.WORDS] for t in texts])
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)


def test_the_issue_is_the_customers_own_most_central_sentence():
    summary = build_summary(LINES, EVENTS, DECISION, encoder=KeywordEncoder())
    assert summary["issue"] in {line.text for line in LINES if line.sender == "customer"}
    assert summary["issue"] != "hi"
    assert summary["topic"] == "order_status"


def test_wants_count_intents_and_collect_entities():
    summary = build_summary(LINES, EVENTS, DECISION)
    assert summary["wants"]["intents"][0] == {"name": "order_status", "count": 2, "confidence": 0.9}
    assert summary["wants"]["entities"] == {"order_id": ["10482"]}


def test_what_the_bot_tried_and_how_the_customer_reacted():
    articles = [ArticleTried("it was due a week ago", "Delivery times", helpful=None)]
    tried = build_summary(LINES, EVENTS, DECISION, articles=articles)["tried"]
    assert tried[1] == {"what": "order status",
                        "reaction": '"it was due a week ago and still has not arrived", order_status, negative'}
    assert tried[2]["what"] == 'answered from the article "Delivery times"'
    assert tried[2]["reaction"].startswith('"this is useless')


def test_sentiment_over_time_reasons_and_last_messages():
    summary = build_summary(LINES, EVENTS, DECISION)
    assert [p["negative"] for p in summary["sentiment"]] == [0.1, 0.1, 0.8, 0.95]
    assert summary["escalation"] == {"reasons": [{"code": "very_angry", "detail": "anger 0.92 in the last message"}],
                                     "priority": "high"}
    assert summary["last_messages"][-1]["text"] == "this is useless, I want a refund for 10482"
    assert summary["customer"] is None  # not verified: no profile facts at all
