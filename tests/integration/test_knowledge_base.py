"""Knowledge-base answers through the desk, with the real Rasa server and action server."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db import make_engine, make_session_factory
from bot.kb.feedback import KbQuestion

from .test_conversations import Customer

pytestmark = pytest.mark.integration


@pytest.fixture
def customer(stack) -> Customer:
    return Customer(stack.desk_url)


def kb_rows(stack, conversation_id: str) -> list[KbQuestion]:
    engine = make_engine(stack.database_url)
    with make_session_factory(engine)() as session:
        rows = list(session.scalars(select(KbQuestion).where(KbQuestion.conversation_id == conversation_id)))
    engine.dispose()
    return rows


def test_a_policy_question_gets_the_article_with_its_source_and_a_feedback_question(stack, customer):
    answer, feedback = customer.say("how many days do i have to return something?")
    assert "30 days" in answer["text"]
    assert "Source: " in answer["text"] and "https://harborandpine.example/help/" in answer["text"]
    assert 1 <= len(answer["buttons"]) <= 2  # related articles
    assert feedback["text"] == "Did that answer your question?"
    assert [b["payload"] for b in feedback["buttons"]] == ["/affirm", "/deny"]

    assert "glad that helped" in customer.says("/affirm")
    [row] = kb_rows(stack, customer.id)
    assert row.answered and row.article_id.startswith("returns-") and row.helpful is True


def test_an_unhelpful_answer_is_recorded_and_offers_a_person(stack, customer):
    customer.say("which payment methods do you accept")
    reply = customer.say("/deny")[0]
    assert "rephrase" in reply["text"] and reply["buttons"][0]["payload"] == "/contact_human_agent"
    [row] = kb_rows(stack, customer.id)
    assert row.helpful is False


def test_a_question_no_article_answers_gets_an_honest_decline(stack, customer):
    reply = customer.says("do you engrave initials on the cutting boards")
    assert "not sure I have a good answer" in reply
    [row] = kb_rows(stack, customer.id)
    assert not row.answered and row.article_id is None


def test_an_edited_article_is_used_within_seconds_without_a_restart(stack, customer):
    article = Path(stack.env["ASSISTANT_KB_FOLDER"]) / "contact-support-hours.md"
    article.write_text(article.read_text().replace("1-800-555-0142", "1-800-555-0199"))
    deadline = time.monotonic() + 15
    while "1-800-555-0199" not in customer.says("what is your phone number for customer support"):
        assert time.monotonic() < deadline, "the edited article was not used within 15 s"
        time.sleep(1)
