from bot.dialogue.account import (
    LOCKED,
    greeting,
    password_reset_reply,
    verification_failed,
    wants_unsubscribe,
)
from bot.dialogue.replies import feedback_reply


def test_failed_verification_counts_down_then_locks():
    assert "2 tries left" in verification_failed(1)
    assert "1 try left" in verification_failed(2)
    assert verification_failed(3) == LOCKED.text


def test_password_reply_does_not_reveal_whether_the_account_exists():
    assert password_reset_reply("a@example.com").text.startswith("If a@example.com belongs to an account")


def test_unsubscribe_requests_are_recognised():
    assert wants_unsubscribe("please unsubscribe me from the newsletter")
    assert wants_unsubscribe("stop sending me marketing emails")
    assert not wants_unsubscribe("sign me up for the newsletter")


def test_anonymous_visitors_get_a_generic_greeting():
    assert greeting(None).text.startswith("Hi! I'm the Harbor & Pine assistant")


def test_an_unhelpful_answer_offers_a_person():
    reply = feedback_reply(False)
    assert reply.buttons[0]["payload"] == "/contact_human_agent"
    assert "glad" in feedback_reply(True).text


def test_account_fields_are_recognised_in_plain_words():
    from bot.dialogue.account import account_field_from_text

    assert account_field_from_text("my mobile number") == "phone"
    assert account_field_from_text("the surname please") == "last_name"
    assert account_field_from_text("First name") == "first_name"
    assert account_field_from_text("my shoe size") is None
