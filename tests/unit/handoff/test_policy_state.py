"""The escalation policy's state lives with the conversation: each bot turn stores it with
its replies, a person's help resets it, and a conversation stored before it was kept has it
rebuilt from its recent messages once."""

from __future__ import annotations

import asyncio

from sqlalchemy import update

from bot.desk.analysis import policy_turn
from bot.desk.escalation import Escalator
from bot.desk.models import Conversation, Mode
from bot.escalation.policy import EscalationPolicy, PolicyState

ANGRY = {"mode": Mode.bot.value, "intent": {"name": "track_order", "confidence": 0.9},
         "sentiment": {"label": "negative", "negative": 0.8, "neutral": 0.15, "positive": 0.05, "anger": 0.5}}
policy = EscalationPolicy.from_yaml()


def escalator(conversations, handoffs) -> Escalator:
    """Only the stores and the policy: observing a turn reads nothing else."""
    return Escalator(conversations, handoffs, rasa=None, policy=policy, sentiment=None, profiles=None,
                     feedback=None, hub=None, article_titles=dict)


def angry_turn(conversations, conversation_id: str, text: str = "this is really bad service"):
    message = conversations.add_customer_message(conversation_id, text)
    message.analysis = dict(ANGRY)
    return message


def test_each_turn_stores_the_state_and_a_person_starts_it_afresh(conversations, handoffs, agents):
    conversation_id = conversations.create().id
    assert conversations.get(conversation_id).policy_state == {}
    desk = escalator(conversations, handoffs)
    for _ in range(2):
        message = angry_turn(conversations, conversation_id)
        state = asyncio.run(desk.observe(conversations.get(conversation_id), message))
        conversations.record_bot_replies(message, [{"text": "Sorry to hear that."}], message.analysis,
                                         state.to_json())
    kept = PolicyState.from_json(conversations.get(conversation_id).policy_state)
    assert (kept.turns, kept.negatives, kept.recent[-1]) == (2, (0.8, 0.8), ("track_order", False))

    handoffs.escalate(conversation_id, 1.0, [], {})
    alex, _ = agents
    handoffs.claim(handoffs.current(conversation_id).id, alex.id)
    handoffs.close(conversation_id, alex.id, resolved=False)
    assert conversations.get(conversation_id).policy_state == {}


def test_a_conversation_from_before_the_state_was_kept_is_rebuilt_from_its_messages(
        conversations, handoffs, sessions):
    conversation_id = conversations.create().id
    for _ in range(2):
        message = angry_turn(conversations, conversation_id)
        conversations.record_bot_replies(message, [{"text": "Sorry to hear that."}], message.analysis)
    with sessions.begin() as session:  # as migration 0009 leaves existing conversations
        session.execute(update(Conversation).where(Conversation.id == conversation_id).values(policy_state=None))
    third = angry_turn(conversations, conversation_id, "still nothing works at all")
    desk = escalator(conversations, handoffs)
    state = asyncio.run(desk.observe(conversations.get(conversation_id), third))
    assert state.turns == 3
    # Both need the two turns before: three negative in a row, "track_order" three times.
    assert {r.code for r in policy.judge(state, policy_turn(third)).reasons} == {"negative_trend", "loop"}

