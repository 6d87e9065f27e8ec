"""What the assistant says about orders, from the seeded store."""

from bot.dialogue.orders import change_reply, describe_order, likely_order_question, order_reply

from .conftest import TODAY


def test_a_shipped_order_is_described_with_carrier_tracking_and_date(seeded):
    text = describe_order(seeded.order("C1001", 10482), TODAY)
    assert "shipped yesterday with UPS" in text and "1Z999AA10123456784" in text
    assert "Expected delivery: tomorrow" in text


def test_a_single_open_order_is_offered_as_the_likely_subject(seeded):
    reply = likely_order_question(seeded.orders("C1002"), TODAY)
    assert reply.text.startswith("Is this about order #20931")
    assert reply.buttons == [{"title": "#20931", "payload": '/inform{"order_id": "20931"}'}]
    assert {b["title"] for b in likely_order_question(seeded.orders("C1001"), TODAY).buttons} == {"#10482", "#10511"}


def test_cancelling_quotes_the_fee_by_status_and_refuses_after_shipping(seeded):
    packed = order_reply("cancel", seeded.order("C1002", 20931), seeded, "C1002", TODAY)
    assert packed.asks_confirmation and "$5 handling fee" in packed.text
    paid = order_reply("cancel", seeded.order("C1001", 10511), seeded, "C1001", TODAY)
    assert paid.asks_confirmation and "is free" in paid.text
    shipped = order_reply("cancel", seeded.order("C1001", 10482), seeded, "C1001", TODAY)
    assert not shipped.asks_confirmation and "can't be cancelled" in shipped.text


def test_confirmed_changes_report_what_the_store_did(seeded):
    result = seeded.cancel_order("C1002", 20931)
    assert change_reply("cancel", result, 20931).text == (
        "Order #20931 is cancelled. A $5.00 handling fee applies. You'll get an e-mail confirmation.")
    late = seeded.start_refund("C1002", 20877, "too old")
    assert "past the return window" in change_reply("refund", late, 20877).text


def test_refund_status_lists_each_refund(seeded):
    text = order_reply("refund_status", seeded.order("C1002", 20950), seeded, "C1002", TODAY).text
    assert "for order #20950: requested" in text and "5-7 business days" in text
