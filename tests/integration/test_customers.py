"""Customers asking about their own orders and account, through the desk and the real
Rasa and action servers, against the seeded profile store."""

from __future__ import annotations

import re

import pytest

from bot.db import make_engine, make_session_factory
from bot.identity import sign
from bot.profiles.store import ProfileStore

from .test_conversations import Customer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def store(stack) -> ProfileStore:
    return ProfileStore(make_session_factory(make_engine(stack.database_url)))


def signed_in(stack, customer_id: str) -> Customer:
    secret = stack.env["ASSISTANT_IDENTITY_SECRET"]
    return Customer(stack.desk_url, identity=sign(customer_id, secret).model_dump())


def test_a_visitor_verifies_with_email_and_order_number_then_sees_the_order(stack):
    visitor = Customer(stack.desk_url)
    assert "check it's you" in visitor.says("where is my order?")
    assert "number of one of your orders" in visitor.says("maya.chen@example.com")
    answer = visitor.says("#10482")
    assert "Thanks, Maya, you're verified." in answer
    assert "Order #10482" in answer and "shipped yesterday with UPS" in answer
    assert "1Z999AA10123456784" in answer and "Expected delivery: tomorrow" in answer
    # The conversation is now linked: the next request needs no second check.
    assert "Saved on your account" in visitor.says("which cards do i have saved on my account")


def test_an_order_number_given_when_the_e_mail_was_asked_for_is_kept(stack):
    visitor = Customer(stack.desk_url)
    assert "check it's you" in visitor.says("I'd like to know where my package is")
    asked = visitor.says("it's 10482")
    assert "doesn't look like" not in asked
    assert "#10482" in asked and "e-mail address on your account" in asked
    answer = visitor.says("maya.chen@example.com")
    assert "Thanks, Maya, you're verified." in answer and "Order #10482" in answer


def test_e_mail_and_order_number_in_one_message_verify_at_once(stack):
    visitor = Customer(stack.desk_url)
    visitor.says("where is my order?")
    answer = visitor.says("maya.chen@example.com, order 10482")
    assert "you're verified" in answer and "Order #10482" in answer


def test_an_order_number_in_the_request_is_not_asked_for_again(stack):
    visitor = Customer(stack.desk_url)
    asked = visitor.says("where is order 10482")
    assert "#10482" in asked and "e-mail address on your account" in asked
    answer = visitor.says("maya.chen@example.com")
    assert "you're verified" in answer and "Order #10482" in answer


def test_questions_answered_mid_form_are_not_failed_answers(stack):
    visitor = Customer(stack.desk_url)
    visitor.says("I'd like to know where my package is")
    for question in ("what's your return policy for sale items?", "do you ship to Canada?",
                     "can I pay with Klarna?"):
        reply = visitor.says(question)
        assert "e-mail address on your account" in reply and "member of our team" not in reply
    assert "number of one of your orders" in visitor.says("maya.chen@example.com")
    assert "Order #10482" in visitor.says("#10482")


def test_failed_verification_is_limited_to_three_attempts(stack):
    visitor = Customer(stack.desk_url)
    visitor.says("i want to cancel my order")
    for tries_left in ("2 tries left", "1 try left"):
        visitor.says("maya.chen@example.com")
        assert tries_left in visitor.says("20931")  # Jonas's order, not Maya's
    visitor.says("maya.chen@example.com")
    locked = visitor.says("20931")
    assert "couldn't verify your identity" in locked
    # Even the right pair is no longer accepted in this conversation.
    assert "couldn't verify your identity" in visitor.says("where is order 10482")


def test_another_customers_order_looks_exactly_like_one_that_does_not_exist(stack):
    maya = signed_in(stack, "C1001")
    someone_elses = maya.says("track order 20931")
    nonexistent = maya.says("track order 99871")
    assert "I can't find order #20931 on your account." in someone_elses
    assert someone_elses.replace("20931", "N") == nonexistent.replace("99871", "N")
    assert "Jonas" not in someone_elses and "packed" not in someone_elses


def test_a_signed_in_customer_is_greeted_by_name_and_offered_their_open_orders(stack):
    jonas = signed_in(stack, "C1002")
    assert jonas.says("hello").startswith("Hi Jonas!")
    [question] = jonas.say("where's my order")
    assert "Is this about order #20931" in question["text"]
    assert [b["title"] for b in question["buttons"]] == ["#20931"]
    assert "Order #20931" in jonas.says(question["buttons"][0]["payload"])

    maya = signed_in(stack, "C1001")
    [question] = maya.say("where is my package")
    assert "Which order" in question["text"]
    assert {b["title"] for b in question["buttons"]} == {"#10482", "#10511"}


def test_changes_before_shipping_need_a_yes_and_are_stored(stack, store):
    maya = signed_in(stack, "C1001")
    assert "What's the new address" in maya.says("I need to change the delivery address of order 10511")
    question = maya.says("12 Harbour Lane, Portland, ME 04101")
    assert "12 Harbour Lane, Portland, ME 04101" in question and "?" in question
    assert "will ship to the new address" in maya.says("yes")
    assert store.order("C1001", 10511).shipping_address == "12 Harbour Lane, Portland, ME 04101"

    assert "cancelling it is free" in maya.says("please cancel order 10511")
    assert "Order #10511 is cancelled. There is no fee." in maya.says("yes please")
    assert store.order("C1001", 10511).status == "cancelled"


def test_refusals_explain_the_policy(stack, store):
    maya = signed_in(stack, "C1001")
    assert "already shipped, so it can't be cancelled" in maya.says("cancel order 10482")
    assert "can no longer be changed" in maya.says("change the shipping address for order 10482")

    jonas = signed_in(stack, "C1002")
    fee = jonas.says("cancel order 20931")
    assert "$5 handling fee" in fee
    assert "won't change order #20931" in jonas.says("no")
    assert store.order("C1002", 20931).status == "packed"
    jonas.says("I want to return order 20877 for a refund")
    assert "past the return window" in jonas.says("yes")
    assert "requested" in jonas.says("what's the status of the refund for order 20950")


def test_invoices_and_password_resets_go_to_the_outbox(stack, store):
    maya = signed_in(stack, "C1001")
    assert "e-mailed the invoice for order #10377 to m***@example.com" in maya.says(
        "can you email me the invoice for order 10377")
    assert ("maya.chen@example.com", "invoice") in {(to, kind) for to, kind, _ in store.outbox("C1001")}

    before = len(store.outbox())
    visitor = Customer(stack.desk_url)
    visitor.says("I forgot my password")
    known = visitor.says("priya.nair@example.com")
    other = Customer(stack.desk_url)
    other.says("I forgot my password")
    unknown = other.says("nobody.here@example.com")
    assert known.replace("priya.nair", "X") == unknown.replace("nobody.here", "X")
    assert len(store.outbox()) == before + 1


def test_newsletter_payment_methods_and_deletion_for_a_signed_in_customer(stack, store):
    priya = signed_in(stack, "C1003")
    methods = priya.says("what payment methods do i have saved")
    assert "Saved on your account" in methods
    labels = [m.label for m in store.payment_methods("C1003")]
    assert all(label in methods for label in labels)

    priya.says("please unsubscribe me from the newsletter")
    assert store.get_customer("C1003").newsletter is False
    priya.says("sign me up for the newsletter")
    assert store.get_customer("C1003").newsletter is True

    assert "14-day grace period" in priya.says("delete my account")
    assert "deletion request is recorded" in priya.says("yes")


def test_a_vip_asking_for_a_person_is_marked_for_priority(stack):
    replies = signed_in(stack, "C1002").say("I want to talk to a human")
    handoff = next(r["custom"]["handoff"] for r in replies if r["custom"])
    assert handoff == {"reason": "customer_request", "customer_id": "C1002", "priority": "high"}


def test_nothing_personal_reaches_an_unverified_visitor(stack):
    visitor = Customer(stack.desk_url)
    reply = visitor.says("which cards do i have saved")
    assert "check it's you" in reply
    assert not re.search(r"ending \d{4}", reply)


def test_editing_account_details_needs_the_field_a_valid_value_and_a_yes(stack, store):
    priya = signed_in(stack, "C1003")
    [question] = priya.say("I need to update my phone number")
    assert "What would you like to change?" in question["text"]
    assert [b["title"] for b in question["buttons"]] == ["First name", "Last name", "Phone number"]
    assert "new phone number" in priya.says('/inform{"account_field": "phone"}')
    assert "can't be saved" in priya.says("call me maybe")
    assert '"+1 (207) 555-0188"?' in priya.says("+1 (207) 555-0188")
    assert "your phone number is now +1 (207) 555-0188" in priya.says("yes")

    assert "What would you like to change?" in priya.says("change my details please")
    assert "new last name" in priya.says("my surname")
    priya.says("Nair-Okafor")
    assert "stay as they are" in priya.says("no")
    assert store.get_customer("C1003").last_name == "Nair"
