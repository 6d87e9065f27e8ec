"""The queue: who is next, who owns a conversation, and what the customer gets back to."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from bot.db import utcnow
from bot.desk.handoffs import AlreadyClaimed, HandoffError
from bot.desk.models import HandoffStatus, Mode


def queued(conversations, handoffs, priority: float = 1.0) -> str:
    conversation_id = conversations.create().id
    handoffs.escalate(conversation_id, priority, [{"code": "customer_request", "detail": "asked"}],
                      {"issue": "help"})
    return conversation_id


def test_escalating_switches_to_human_mode_once(conversations, handoffs):
    conversation_id = queued(conversations, handoffs)
    again = handoffs.escalate(conversation_id, 5.0, [], {})
    assert conversations.get(conversation_id).mode == Mode.human
    assert [e.handoff_id for e in handoffs.queue()] == [again.id]


def test_urgent_conversations_come_first_but_long_waits_catch_up(conversations, handoffs):
    calm = queued(conversations, handoffs, priority=1.0)
    angry_vip = queued(conversations, handoffs, priority=5.0)
    assert [e.conversation_id for e in handoffs.queue()] == [angry_vip, calm]
    assert handoffs.position(calm) == 2
    # Fifty minutes later the calm customer has waited five points' worth more.
    later = utcnow() + timedelta(minutes=50)
    entries = handoffs.queue(now=later)
    calm_entry = next(e for e in entries if e.conversation_id == calm)
    assert calm_entry.rank(later, 10) == pytest.approx(6.0, abs=0.1)


def test_two_agents_claiming_at_once_never_both_win(conversations, handoffs, agents):
    for _ in range(5):
        handoff_id = handoffs.current(queued(conversations, handoffs)).id
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def claim(agent_id: int) -> None:
            barrier.wait()
            try:
                handoffs.claim(handoff_id, agent_id)
                outcomes.append("won")
            except AlreadyClaimed:
                outcomes.append("lost")

        threads = [threading.Thread(target=claim, args=(agent.id,)) for agent in agents]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["lost", "won"]
        assert handoffs.get(handoff_id).status == HandoffStatus.claimed


def test_a_claimed_conversation_says_who_has_it(conversations, handoffs, agents):
    alex, sam = agents
    handoff_id = handoffs.current(queued(conversations, handoffs)).id
    handoffs.claim(handoff_id, alex.id)
    with pytest.raises(AlreadyClaimed, match="already claimed by Alex Rivera"):
        handoffs.claim(handoff_id, sam.id)


def test_only_the_owner_answers_or_closes(conversations, handoffs, agents):
    alex, sam = agents
    conversation_id = queued(conversations, handoffs)
    with pytest.raises(HandoffError):
        handoffs.owned(conversation_id, alex.id)  # nobody claimed it yet
    handoffs.claim(handoffs.current(conversation_id).id, alex.id)
    assert handoffs.owned(conversation_id, alex.id).agent_name == "Alex Rivera"
    with pytest.raises(HandoffError):
        handoffs.owned(conversation_id, sam.id)
    with pytest.raises(HandoffError):
        handoffs.close(conversation_id, sam.id, resolved=True)


def test_resolving_asks_for_a_rating_then_the_bot_resumes(conversations, handoffs, agents):
    alex, _ = agents
    conversation_id = queued(conversations, handoffs)
    handoffs.claim(handoffs.current(conversation_id).id, alex.id)
    handoffs.close(conversation_id, alex.id, resolved=True)
    assert conversations.get(conversation_id).mode == Mode.rating
    assert handoffs.queue() == []
    handoffs.record_rating(conversation_id, 4)
    assert conversations.get(conversation_id).mode == Mode.bot
    assert handoffs.current(conversation_id).status == HandoffStatus.resolved
    assert handoffs.last_closed_at(conversation_id) is not None


def test_handing_back_returns_to_the_bot_without_a_rating(conversations, handoffs, agents):
    alex, _ = agents
    conversation_id = queued(conversations, handoffs)
    handoffs.claim(handoffs.current(conversation_id).id, alex.id)
    handoffs.close(conversation_id, alex.id, resolved=False)
    assert conversations.get(conversation_id).mode == Mode.bot
    assert handoffs.current(conversation_id).status == HandoffStatus.returned


def test_notes_keep_their_author(conversations, handoffs, agents):
    alex, _ = agents
    conversation_id = queued(conversations, handoffs)
    handoffs.add_note(conversation_id, alex.id, "Customer prefers e-mail.")
    [note] = handoffs.notes(conversation_id)
    assert (note.author, note.text) == ("Alex Rivera", "Customer prefers e-mail.")


def test_a_turn_reads_only_the_conversations_last_messages(conversations):
    conversation_id = conversations.create().id
    for n in range(130):
        conversations.add_customer_message(conversation_id, f"message {n}")
    recent = conversations.recent(conversation_id, 100)
    assert [m.text for m in recent] == [f"message {n}" for n in range(30, 130)]  # oldest first
    assert len(conversations.transcript(conversation_id)) == 130


def test_the_bot_owes_only_trailing_unanswered_messages_of_bot_conversations(conversations, handoffs):
    from datetime import timedelta

    from bot.db import utcnow
    from bot.desk.models import Sender

    waiting = conversations.create().id
    moved_on = conversations.create().id
    with_person = conversations.create().id
    first = conversations.add_customer_message(waiting, "can I pay with paypal?")
    conversations.mark_failed(first)
    stuck = conversations.add_customer_message(waiting, "hello?")  # still `received`
    old = conversations.add_customer_message(moved_on, "where is my order")
    conversations.mark_failed(old)
    conversations.add_message(moved_on, Sender.bot, "It ships tomorrow.")  # answered since
    conversations.mark_failed(conversations.add_customer_message(with_person, "refund please"))
    handoffs.escalate(with_person, 1.0, [], {})
    assert [m.id for m in conversations.owed(utcnow() + timedelta(seconds=1))] == [first.id, stuck.id]
    assert [m.id for m in conversations.owed(utcnow() - timedelta(hours=1))] == [first.id]  # not stuck yet
