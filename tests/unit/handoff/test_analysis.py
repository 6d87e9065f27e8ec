"""What the desk keeps about each message, and which messages the policy judges."""

from datetime import UTC, datetime, timedelta

from bot.desk.analysis import analysis_of, policy_turns
from bot.desk.escalation import RATING, handoff_requested, priority_points
from bot.desk.models import Message, Mode, Sender
from bot.escalation.policy import Decision, Reason
from bot.escalation.sentiment import SentimentScore

ANGRY = SentimentScore(0.9, 0.05, 0.05, 0.95)
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
TRACKER = {"latest_message": {"intent": {"name": "track_order", "confidence": 0.91},
                              "intent_ranking": [{"name": "track_order", "confidence": 0.91},
                                                 {"name": "cancel_order", "confidence": 0.05}],
                              "entities": [{"entity": "order_id", "value": "10482", "start": 0}]},
           "active_loop": {"name": "order_form"}, "slots": {"requested_slot": "order_id"}}


def test_the_analysis_keeps_sentiment_intent_entities_and_the_open_question():
    analysis = analysis_of(ANGRY, TRACKER, Mode.bot)
    assert analysis["sentiment"]["label"] == "negative" and analysis["sentiment"]["anger"] == 0.95
    assert analysis["intent"] == {"name": "track_order", "confidence": 0.91}
    assert analysis["ranking"][1]["name"] == "cancel_order"
    assert analysis["entities"] == [{"entity": "order_id", "value": "10482"}]
    assert analysis["form_question"] == "order_form.order_id"
    assert analysis_of(ANGRY, {}, Mode.human) == {"mode": "human", "sentiment": analysis["sentiment"]}


def test_an_answer_the_form_rejected_is_marked_and_reaches_the_policy():
    rejected = [{"text": "That doesn't look like an e-mail address, could you check it?"},
                {"custom": {"rejected_answer": "email"}}]
    assert analysis_of(ANGRY, TRACKER, Mode.bot, rejected)["form_rejected"] is True
    assert "form_rejected" not in analysis_of(ANGRY, TRACKER, Mode.bot, [{"text": "Our return policy ..."}])
    marked = Message(conversation_id="c", sender=Sender.customer, text="maya at example", created_at=T0,
                     analysis=analysis_of(ANGRY, TRACKER, Mode.bot, rejected))
    assert policy_turns([marked], None)[0].form_rejected


def message(text, minutes, mode=Mode.bot, sender=Sender.customer):
    return Message(conversation_id="c", sender=sender, text=text, created_at=T0 + timedelta(minutes=minutes),
                   analysis=analysis_of(ANGRY, TRACKER, mode) if sender == Sender.customer else None)


def test_the_policy_judges_only_bot_turns_since_the_last_handoff_closed():
    messages = [message("first angry message", 0), message("to the agent", 1, Mode.human),
                message("thanks", 2, sender=Sender.agent), message("after the agent left", 5)]
    assert [t.text for t in policy_turns(messages, None)] == ["first angry message", "after the agent left"]
    assert [t.text for t in policy_turns(messages, T0 + timedelta(minutes=3))] == ["after the agent left"]


def test_priority_adds_points_per_reason_kind_and_for_vips():
    points = {"customer_request": 1, "very_angry": 2, "sensitive": 2, "vip": 2}
    decision = Decision(True, (Reason("very_angry", ""), Reason("sensitive_fraud", ""),
                               Reason("sensitive_legal", "")), "high")
    assert priority_points(decision, "standard", points) == 4
    assert priority_points(decision, "vip", points) == 6


def test_ratings_and_handoff_requests_are_recognised():
    assert [bool(RATING.match(t)) for t in ("5", " 4/5 ", "3 stars", "2.", "6", "5 but slow", "")] == [
        True, True, True, True, False, False, False]
    assert handoff_requested([{"text": "x"}, {"custom": {"handoff": {"reason": "customer_request"}}}])
    assert not handoff_requested([{"text": "x", "custom": {"verified_customer": "C1"}}])


def test_markers_rasa_sends_as_replies_of_their_own_are_not_shown_to_customers():
    from bot.desk.analysis import shown

    replies = [{"text": "I'm not sure I have a good answer.", "buttons": [{"title": "Talk to a person"}]},
               {"custom": {"kb_answer": {"question_id": 3, "answered": False}}},
               {"custom": {"kb_feedback": {"question_id": 3, "helpful": False}}},
               {"custom": {"handoff": {"reason": "customer_request"}}}]
    assert shown(replies) == [replies[0], replies[3]]
