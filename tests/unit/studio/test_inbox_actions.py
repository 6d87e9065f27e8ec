"""What the inbox's buttons do, through the studio API: teach an intent, create one, draft
an article, ignore and undo; each item remembers who did it."""

from __future__ import annotations

import numpy as np
import pytest

from bot.db import make_engine, make_session_factory
from bot.desk.conversations import ConversationStore
from bot.studio.inbox import Reading, Reason, ReviewStore
from bot.studio.training_data import TrainingData
from tests.unit.studio.test_studio_access import login, prepare_database, studio  # noqa: F401  (fixtures)

GIFT = ["can you gift wrap my order", "do you do gift wrapping", "gift wrap it please"]


@pytest.fixture
def inbox(studio, desk_db_url):  # noqa: F811
    client, project, kb = studio
    sessions = make_session_factory(make_engine(desk_db_url))
    conversations = ConversationStore(sessions)
    store = ReviewStore(sessions)
    cid = conversations.create().id
    vector = np.ones(384, dtype=np.float32) / np.sqrt(384)  # one group for all of them
    for text in GIFT:
        message = conversations.add_customer_message(cid, text)
        store.record(message.id, cid, text, [Reason.fallback], Reading("place_order", 0.3, None, None), vector)
    group = client.get("/api/studio/inbox", headers=login(client, "erin", "harbor-editor-1")).json()["groups"]
    return client, project, kb, group[0]["id"], cid


def test_a_group_becomes_a_new_intent_with_its_answer(inbox):
    client, project, _, group, _ = inbox
    headers = login(client, "erin", "harbor-editor-1")
    response = client.post("/api/studio/inbox/actions", headers=headers, json={
        "group_id": group, "action": "new_intent", "intent": "gift_wrap",
        "response": "We gift wrap any order for $4: choose it at checkout."})
    assert response.status_code == 200, response.text
    data = TrainingData(project)
    assert set(data.intent("gift_wrap").examples) == set(GIFT)
    assert data.responses()["utter_gift_wrap"] == ["We gift wrap any order for $4: choose it at checkout."]
    resolved = client.get("/api/studio/inbox?state=resolved", headers=headers).json()["groups"][0]["examples"]
    assert {(i["state"], i["action"], i["resolved_intent"], i["acted_by"]) for i in resolved} == {
        ("resolved", "new_intent", "gift_wrap", "Erin Park")}


def test_adding_to_an_intent_then_seeing_it_in_the_conversation(inbox):
    client, project, _, group, cid = inbox
    headers = login(client, "erin", "harbor-editor-1")
    response = client.post("/api/studio/inbox/actions", headers=headers,
                           json={"group_id": group, "action": "add_to_intent", "intent": "place_order"})
    assert len(response.json()["done"]) == 3
    assert TrainingData(project).find("do you do gift wrapping") == "place_order"
    texts = [m["text"] for m in client.get(f"/api/studio/conversations/{cid}", headers=headers).json()["messages"]]
    assert texts == GIFT


def test_ignore_can_be_undone_and_a_draft_article_keeps_the_questions(inbox):
    client, _, kb, group, _ = inbox
    headers = login(client, "erin", "harbor-editor-1")
    client.post("/api/studio/inbox/actions", headers=headers, json={"group_id": group, "action": "ignore"})
    assert client.get("/api/studio/inbox", headers=headers).json()["total_items"] == 0
    client.post("/api/studio/inbox/actions", headers=headers, json={"group_id": group, "action": "undo"})
    assert client.get("/api/studio/inbox", headers=headers).json()["total_items"] == 3
    response = client.post("/api/studio/inbox/actions", headers=headers,
                           json={"group_id": group, "action": "draft_article", "title": "Gift wrapping"})
    draft = response.json()["results"][0]["draft"]
    text = (kb / "drafts" / draft).read_text()
    assert "title: Gift wrapping" in text and all(q in text for q in GIFT)
    assert not (kb / draft).exists()  # the bot does not answer from a draft
