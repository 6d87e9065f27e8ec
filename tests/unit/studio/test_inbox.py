"""The review inbox groups similar misunderstood messages and keeps who did what with them."""

from __future__ import annotations

import numpy as np
import pytest

from bot.console.accounts import AccountStore
from bot.desk.conversations import ConversationStore
from bot.desk.models import Role
from bot.encoder import Encoder
from bot.studio.inbox import ItemState, Reading, Reason, ReviewStore, nlu_reasons, reading_of

MISSED = ["still no sign of the blender", "the blender still hasn't arrived", "no blender yet",
          "do you engrave cutting boards?", "can you engrave a cutting board for me"]


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return Encoder(threads=2)


@pytest.fixture
def inbox(sessions, encoder):
    conversations = ConversationStore(sessions)
    editor = AccountStore(sessions).create("erin", "Erin Park", "correct horse battery", Role.editor)
    store = ReviewStore(sessions, similarity=0.6)
    cid = conversations.create().id
    ids = []
    for text in MISSED:
        message = conversations.add_customer_message(cid, text)
        ids.append(store.record(message.id, cid, text, [Reason.fallback],
                                Reading("track_order", 0.31, "registration_problems", 0.28),
                                encoder.encode([text])[0]))
    return store, editor, cid, ids


def test_similar_messages_share_a_group_and_the_biggest_comes_first(inbox):
    store, _, cid, _ = inbox
    page = store.page()
    assert page.total_items == 5
    assert [g.size for g in page.groups] == [3, 2]
    blender, engraving = page.groups
    assert {e.text for e in blender.examples} == set(MISSED[:3])
    assert {e.text for e in engraving.examples} == set(MISSED[3:])
    assert blender.intents == [{"name": "track_order", "count": 3, "confidence": 0.31}]
    assert blender.conversations == [cid]
    assert blender.reasons == {"fallback": 3}


def test_acting_on_items_records_who_and_when_and_ignoring_can_be_undone(inbox):
    store, editor, _, ids = inbox
    store.act(ids[:3], ItemState.ignored, "ignored", editor.id)
    assert store.page().total_items == 2
    ignored = store.page(ItemState.ignored).groups[0].examples
    assert {i.acted_by for i in ignored} == {"Erin Park"} and all(i.acted_at for i in ignored)
    store.act(ids[:3], ItemState.pending, None, editor.id)
    assert store.page().total_items == 5
    store.act(ids[3:], ItemState.resolved, "add_to_intent", editor.id, "out_of_scope")
    assert store.counts() == {"pending": 3, "resolved": 2, "ignored": 0}
    assert {i.resolved_intent for i in store.items(ids[3:])} == {"out_of_scope"}


def test_a_second_reason_joins_the_existing_item(inbox, encoder):
    store, _, cid, ids = inbox
    item = store.items([ids[0]])[0]
    store.record(item.message_id, cid, item.text, [Reason.not_helpful], Reading(None, None, None, None),
                 encoder.encode([item.text])[0])
    assert store.items([ids[0]])[0].reasons == ["fallback", "not_helpful"]
    assert store.add_reason(cid, Reason.not_understood, {Reason.fallback}) == 5
    assert "not_understood" in store.items([ids[4]])[0].reasons


def test_groups_survive_a_restart(inbox, sessions, encoder):
    store, _, cid, _ = inbox
    fresh = ReviewStore(sessions, similarity=0.6)
    message = ConversationStore(sessions).add_customer_message(cid, "still no sign of my blender")
    fresh.record(message.id, cid, message.text, [Reason.low_confidence], Reading("track_order", 0.5, None, None),
                 encoder.encode([message.text])[0])
    assert [g.size for g in fresh.page().groups] == [4, 2]


def test_which_readings_go_to_the_inbox():
    def analysis(top, confidence, second=None, second_confidence=None):
        ranking = [{"name": top, "confidence": confidence}]
        if second:
            ranking.append({"name": second, "confidence": second_confidence})
        return {"intent": {"name": top, "confidence": confidence}, "ranking": ranking}

    assert nlu_reasons(analysis("track_order", 0.95, "greet", 0.01), 0.6, 0.1) == []
    assert nlu_reasons(analysis("nlu_fallback", 0.3, "track_order", 0.2), 0.6, 0.1) == [Reason.fallback]
    assert nlu_reasons(analysis("track_order", 0.45, "greet", 0.1), 0.6, 0.1) == [Reason.low_confidence]
    assert nlu_reasons(analysis("get_refund", 0.48, "track_refund", 0.45), 0.6, 0.1) == [
        Reason.low_confidence, Reason.near_tie]
    assert nlu_reasons({"mode": "bot"}, 0.6, 0.1) == []
    fallback = {"intent": {"name": "nlu_fallback", "confidence": 0.3},
                "ranking": [{"name": "nlu_fallback", "confidence": 0.3},
                            {"name": "track_order", "confidence": 0.28}]}
    assert reading_of(fallback) == Reading("track_order", 0.28, None, None)
    assert np.isclose(reading_of(analysis("a", 0.5, "b", 0.4)).second_confidence, 0.4)
