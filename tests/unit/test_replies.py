from bot.dialogue.replies import confirmation_reply, email_reply, order_reply


def test_cancelling_asks_for_confirmation_and_explains_the_fee():
    reply = order_reply("cancel", "55821")
    assert reply.asks_confirmation
    assert "#55821" in reply.text and "$5" in reply.text
    assert [b["payload"] for b in reply.buttons] == ["/affirm", "/deny"]


def test_lookups_answer_without_asking():
    for topic in ["track", "change", "address", "invoice", "invoice_copy", "refund", "refund_status"]:
        reply = order_reply(topic, "10482")
        assert not reply.asks_confirmation and not reply.buttons
        assert "#10482" in reply.text


def test_confirmation_answers_yes_and_no_differently():
    assert "Cancellation requested for order #55821" in confirmation_reply("cancel", "55821", True).text
    assert "won't change #55821" in confirmation_reply("cancel", "55821", False).text


def test_newsletter_reply_follows_what_the_customer_asked_for():
    out = email_reply("newsletter", "a@example.com", "please unsubscribe me from the newsletter")
    assert "taken off" in out.text
    assert "subscribe under" in email_reply("newsletter", "a@example.com", "sign me up").text


def test_password_reply_does_not_reveal_whether_the_account_exists():
    text = email_reply("password", "a@example.com", "forgot my password").text
    assert text.startswith("If a@example.com belongs to an account")
