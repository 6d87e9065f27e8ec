"""The profile store against the seeded demo data: what it answers, what it changes, and
what it refuses. C1001 Maya owns 10482 (shipped), 10511 (paid), 10377 (delivered 10 days
ago); C1002 Jonas owns 20931 (packed), 20877 (delivered 40 days ago), 20950 (refund
requested); C1003 Priya owns 31005 (cancelled) and 31022 (returned, refunded)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.profiles.models import Customer, OutboxEmail, Refund, RefundStatus
from bot.profiles.store import ChangeResult, ProfileStore

from .conftest import NOW, TODAY

MAYA, JONAS, PRIYA = "C1001", "C1002", "C1003"
NO_SUCH_ORDER = 99999


def test_get_customer_shows_a_masked_email_and_unknown_ids_are_none(seeded):
    maya = seeded.get_customer(MAYA)
    assert (maya.first_name, maya.last_name, maya.email) == ("Maya", "Chen",
                                                             "maya.chen@example.com")
    assert maya.verified_email_masked == "m***@example.com"
    assert (maya.tier, maya.language, maya.newsletter) == ("standard", "en", True)
    assert seeded.get_customer(JONAS).tier == "vip"
    assert seeded.get_customer("C9999") is None


@pytest.mark.parametrize("email, order_id, expected", [
    ("maya.chen@example.com", 10482, MAYA),
    ("  Maya.Chen@EXAMPLE.com ", 10482, MAYA),
    ("maya.chen@example.com", NO_SUCH_ORDER, None),
    ("maya.chen@example.com", 20931, None),  # Jonas's order
    ("jonas.weber@example.com", 10482, None),
    ("nobody@example.com", 10482, None),
])
def test_verify_needs_the_email_and_an_order_of_that_customer(seeded, email, order_id, expected):
    assert seeded.verify(email, order_id) == expected


def test_orders_are_newest_first_and_the_open_filter_drops_finished_ones(seeded):
    assert [order.id for order in seeded.orders(MAYA)] == [10511, 10482, 10377]
    assert [order.id for order in seeded.orders(MAYA, open_only=True)] == [10511, 10482]
    assert [order.id for order in seeded.orders(PRIYA, open_only=True)] == []
    assert seeded.orders("C9999") == []


def test_an_order_carries_its_items_shipment_and_dates(seeded):
    order = seeded.order(MAYA, 10482)
    assert (order.status, order.delivery_method) == ("shipped", "express")
    assert order.items == (("Wireless Over-Ear Headphones", 1), ("USB-C Fast Charger, 30 W", 1))
    assert (order.carrier, order.tracking_number) == ("UPS", "1Z999AA10123456784")
    assert order.shipped_at.date() == TODAY - timedelta(days=1)
    assert order.expected_delivery == TODAY + timedelta(days=1)
    assert order.delivered_at is None and order.latest_status_at == order.shipped_at
    assert order.total_cents == 9900 + 2900 + 1295
    unshipped = seeded.order(MAYA, 10511)
    assert unshipped.carrier is unshipped.tracking_number is unshipped.shipped_at is None


def test_another_customers_order_is_exactly_like_a_missing_one(seeded):
    """Every order-level method answers the same for Jonas's 20931 as for 99999, and
    nothing of Jonas's changes."""
    def answers(order_id):
        return [
            seeded.order(MAYA, order_id), seeded.refunds(MAYA, order_id),
            seeded.invoice(MAYA, order_id), seeded.cancel_order(MAYA, order_id),
            seeded.change_shipping_address(MAYA, order_id, "1 Elm Street, Salem 97301, US"),
            seeded.start_refund(MAYA, order_id, "broken"), seeded.send_invoice(MAYA, order_id),
        ]

    other, missing = answers(20931), answers(NO_SUCH_ORDER)
    assert [_without_order_id(answer) for answer in other] == \
        [_without_order_id(answer) for answer in missing]
    assert other[3] == ChangeResult(False, "not_found", {"order_id": 20931})
    jonas_order = seeded.order(JONAS, 20931)
    assert jonas_order.status == "packed" and "Halsted" in jonas_order.shipping_address
    assert seeded.outbox() == []


def _without_order_id(answer):
    """The order id is the caller's own input, echoed back; everything else must match."""
    if isinstance(answer, ChangeResult):
        return answer.ok, answer.code, {k: v for k, v in answer.message_data.items()
                                        if k != "order_id"}
    return answer


def test_cancelling_is_free_until_packed(seeded):
    result = seeded.cancel_order(MAYA, 10511)
    assert result == ChangeResult(True, "cancelled", {"order_id": 10511, "fee_cents": 0})
    order = seeded.order(MAYA, 10511)
    assert order.status == "cancelled" and order.latest_status_at == NOW
    assert seeded.cancel_order(MAYA, 10511).code == "already_cancelled"
    assert seeded.outbox(MAYA) == [("maya.chen@example.com", "order_change",
                                    "Your order #10511 is cancelled")]


def test_cancelling_a_packed_order_costs_five_dollars(seeded):
    assert seeded.cancel_order(JONAS, 20931) == ChangeResult(
        True, "cancelled", {"order_id": 20931, "fee_cents": 500})
    assert seeded.order(JONAS, 20931).status == "cancelled"


@pytest.mark.parametrize("customer_id, order_id, code", [
    (MAYA, 10482, "too_late"),  # shipped
    (MAYA, 10377, "too_late"),  # delivered
    (PRIYA, 31022, "too_late"),  # returned
    (PRIYA, 31005, "already_cancelled"),
])
def test_shipped_or_finished_orders_cannot_be_cancelled(seeded, customer_id, order_id, code):
    before = seeded.order(customer_id, order_id)
    result = seeded.cancel_order(customer_id, order_id)
    assert (result.ok, result.code) == (False, code)
    assert seeded.order(customer_id, order_id) == before


def test_the_shipping_address_changes_until_the_order_is_packed(seeded):
    new_address = "77 Harbor Street, Portland 97209, US"
    result = seeded.change_shipping_address(MAYA, 10511, f"  {new_address} ")
    assert (result.ok, result.code) == (True, "changed")
    assert seeded.order(MAYA, 10511).shipping_address == new_address
    assert seeded.outbox(MAYA)[-1][1:] == ("order_change", "New shipping address for order #10511")
    for customer_id, order_id in [(JONAS, 20931), (MAYA, 10482), (PRIYA, 31005)]:
        refused = seeded.change_shipping_address(customer_id, order_id, new_address)
        assert (refused.ok, refused.code) == (False, "too_late")
        assert seeded.order(customer_id, order_id).shipping_address != new_address


def test_a_blank_address_is_refused(seeded):
    assert seeded.change_shipping_address(MAYA, 10511, "   ").code == "invalid_value"
    assert "Lovejoy" in seeded.order(MAYA, 10511).shipping_address


def test_a_delivered_order_can_be_returned_within_30_days(seeded):
    result = seeded.start_refund(MAYA, 10377, "  The mug arrived chipped. ")
    assert (result.ok, result.code) == (True, "requested")
    assert result.message_data["amount_cents"] == 7700
    [refund] = seeded.refunds(MAYA, 10377)
    assert (refund.status, refund.amount_cents, refund.reason, refund.created_at) == (
        "requested", 7700, "The mug arrived chipped.", NOW)
    assert refund.completed_at is None
    assert seeded.start_refund(MAYA, 10377, "again").code == "already_requested"


@pytest.mark.parametrize("customer_id, order_id, code", [
    (MAYA, 10482, "not_delivered"),  # shipped, still on its way
    (MAYA, 10511, "not_delivered"),
    (PRIYA, 31022, "not_delivered"),  # already returned
    (JONAS, 20877, "too_late"),  # delivered 40 days ago
    (JONAS, 20950, "already_requested"),
])
def test_refunds_are_refused_outside_the_rules(seeded, customer_id, order_id, code):
    before = seeded.refunds(customer_id, order_id)
    result = seeded.start_refund(customer_id, order_id, "changed my mind")
    assert (result.ok, result.code) == (False, code)
    assert seeded.refunds(customer_id, order_id) == before


def test_the_30_days_count_from_the_delivery(seeded, sessions):
    delivered_at = seeded.order(MAYA, 10377).delivered_at
    late = ProfileStore(sessions, now=lambda: delivered_at + timedelta(days=30, minutes=1))
    assert late.start_refund(MAYA, 10377, "late").code == "too_late"
    just_in_time = ProfileStore(sessions, now=lambda: delivered_at + timedelta(days=30))
    assert just_in_time.start_refund(MAYA, 10377, "in time").code == "requested"


def test_a_rejected_refund_does_not_block_a_new_request(seeded, sessions):
    assert seeded.start_refund(MAYA, 10377, "first").ok
    with sessions.begin() as session:
        session.scalar(select(Refund).where(Refund.order_id == 10377)).status = \
            RefundStatus.rejected
    assert seeded.start_refund(MAYA, 10377, "second").code == "requested"
    assert [r.status for r in seeded.refunds(MAYA, 10377)] == ["rejected", "requested"]


def test_refunds_lists_the_orders_refunds(seeded):
    [refund] = seeded.refunds(PRIYA, 31022)
    assert (refund.status, refund.amount_cents) == ("refunded", 12900)
    assert refund.completed_at is not None
    assert seeded.refunds(MAYA, 10482) == []


def test_invoices_exist_from_shipping_on_and_sending_writes_to_the_outbox(seeded):
    invoice = seeded.invoice(MAYA, 10377)
    assert (invoice.number, invoice.total_cents) == ("INV-2026-10377", 7700)
    assert seeded.invoice(MAYA, 10482).number == "INV-2026-10482"
    assert seeded.invoice(MAYA, 10511) is None
    assert seeded.send_invoice(MAYA, 10511) == ChangeResult(
        False, "no_invoice", {"order_id": 10511, "status": "paid"})
    assert seeded.outbox() == []
    result = seeded.send_invoice(MAYA, 10377)
    assert (result.ok, result.code, result.message_data["email_masked"]) == (
        True, "sent", "m***@example.com")
    assert seeded.outbox() == [("maya.chen@example.com", "invoice", "Your invoice INV-2026-10377")]


def test_payment_methods_have_labels_and_the_default_comes_first(seeded):
    assert [(m.label, m.is_default) for m in seeded.payment_methods(MAYA)] == [
        ("Visa ending 4242", True), ("PayPal", False)]
    assert [m.label for m in seeded.payment_methods(JONAS)] == [
        "American Express ending 1005", "Klarna"]
    assert [m.label for m in seeded.payment_methods(PRIYA)] == [
        "Mastercard ending 5454", "Gift card ending 7731"]
    visa = seeded.payment_methods(MAYA)[0]
    assert (visa.kind, visa.brand, visa.last4, visa.expiry) == ("card", "Visa", "4242", "08/28")
    assert seeded.payment_methods("C9999") == []


@pytest.mark.parametrize("field_name, value, stored", [
    ("first_name", " Mary-Jane ", "Mary-Jane"),
    ("last_name", "O'Brien", "O'Brien"),
    ("last_name", "van der Berg", "van der Berg"),
    ("first_name", "Zoë", "Zoë"),
    ("phone", "+1 (503) 555-0199", "+1 (503) 555-0199"),
])
def test_names_and_phone_can_be_updated(seeded, sessions, field_name, value, stored):
    assert seeded.update_account(MAYA, field_name, value) == ChangeResult(
        True, "updated", {"field": field_name, "value": stored})
    with sessions() as session:
        assert getattr(session.get(Customer, MAYA), field_name) == stored


@pytest.mark.parametrize("field_name, value, code", [
    ("email", "evil@example.com", "invalid_field"),
    ("tier", "vip", "invalid_field"),
    ("first_name", "", "invalid_value"),
    ("first_name", "R2D2", "invalid_value"),
    ("first_name", "<script>", "invalid_value"),
    ("last_name", "A" * 51, "invalid_value"),
    ("last_name", "-", "invalid_value"),
    ("phone", "555-01", "invalid_value"),
    ("phone", "call me maybe", "invalid_value"),
    ("phone", "((((((((", "invalid_value"),
    ("phone", "+1 503 555 0199 ext. 12", "invalid_value"),
])
def test_account_updates_are_validated(seeded, field_name, value, code):
    before = seeded.get_customer(MAYA)
    result = seeded.update_account(MAYA, field_name, value)
    assert (result.ok, result.code) == (False, code)
    assert seeded.get_customer(MAYA) == before


def test_a_password_reset_is_mailed_only_to_a_known_address_and_looks_the_same(seeded):
    assert seeded.request_password_reset("nobody@example.com") is None
    assert seeded.outbox() == []
    assert seeded.request_password_reset(" Maya.Chen@example.com") is None
    assert seeded.outbox() == [("maya.chen@example.com", "password_reset",
                                "Reset your Harbor & Pine password")]


def test_a_reset_link_is_new_each_time_and_valid_for_an_hour(seeded, sessions):
    seeded.request_password_reset("maya.chen@example.com")
    seeded.request_password_reset("maya.chen@example.com")
    with sessions() as session:
        bodies = list(session.scalars(select(OutboxEmail.body).order_by(OutboxEmail.id)))
    links = [word for body in bodies for word in body.split()
             if word.startswith("https://harborandpine.example/reset/")]
    assert len(links) == 2 and links[0] != links[1]
    assert all("valid for 1 hour" in body for body in bodies)


def test_newsletter_subscription_changes_and_unchanged(seeded):
    assert seeded.set_newsletter(MAYA, True) == ChangeResult(True, "unchanged",
                                                             {"subscribed": True})
    assert seeded.outbox() == []
    assert seeded.set_newsletter(MAYA, False).code == "unsubscribed"
    assert seeded.get_customer(MAYA).newsletter is False
    assert seeded.set_newsletter(JONAS, True).code == "subscribed"
    assert seeded.get_customer(JONAS).newsletter is True
    assert [kind for _, kind, _ in seeded.outbox()] == ["newsletter", "newsletter"]
    assert seeded.set_newsletter("C9999", True).code == "not_found"


def test_deletion_is_requested_once_with_a_confirmation(seeded):
    result = seeded.request_deletion(PRIYA)
    effective_on = (TODAY + timedelta(days=14)).isoformat()
    assert result == ChangeResult(True, "requested", {"effective_on": effective_on})
    assert seeded.outbox(PRIYA) == [("priya.nair@example.com", "deletion_confirmation",
                                     "Your account deletion request")]
    assert seeded.request_deletion(PRIYA) == ChangeResult(False, "already_requested",
                                                          {"effective_on": effective_on})
    assert len(seeded.outbox(PRIYA)) == 1
    assert seeded.outbox(MAYA) == []
