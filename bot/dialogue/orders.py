"""What the assistant says about a verified customer's orders, from the profile store."""

from __future__ import annotations

from datetime import date, datetime

from bot.dialogue.replies import YES_NO_BUTTONS, Reply
from bot.profiles.store import ChangeResult, OrderView, ProfileStore

OPEN_STATUSES = ("placed", "paid", "packed", "shipped")
CHANGEABLE = ("placed", "paid")


def money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def when(moment: date | datetime | None, today: date) -> str:
    """'today', 'yesterday', 'tomorrow' or 'on Mon, Nov 16'."""
    if moment is None:
        return "on an unknown date"
    day = moment.date() if isinstance(moment, datetime) else moment
    relative = {0: "today", -1: "yesterday", 1: "tomorrow"}.get((day - today).days)
    return relative or f"on {day.strftime('%a, %b')} {day.day}"


def items_summary(order: OrderView) -> str:
    if not order.items:
        return ""
    name, quantity = order.items[0]
    first = f"{quantity} x {name}" if quantity > 1 else name
    more = len(order.items) - 1
    return f" ({first}{f' and {more} more' if more else ''})"


def describe_order(order: OrderView, today: date) -> str:
    ref = f"Order #{order.id}{items_summary(order)}"
    if order.status in ("placed", "paid"):
        return (f"{ref} was placed {when(order.placed_at, today)} and is being prepared; orders "
                "are packed within 1 business day.")
    if order.status == "packed":
        return f"{ref} is packed and will be handed to the carrier shortly."
    if order.status == "shipped":
        expected = f" Expected delivery: {when(order.expected_delivery, today)}." if order.expected_delivery else ""
        return (f"{ref} shipped {when(order.shipped_at, today)} with {order.carrier}, tracking number "
                f"{order.tracking_number}.{expected}")
    if order.status == "delivered":
        return f"{ref} was delivered {when(order.delivered_at, today)}."
    if order.status == "cancelled":
        return f"{ref} was cancelled {when(order.latest_status_at, today)}."
    return f"{ref} was returned {when(order.latest_status_at, today)}."


def likely_order_question(orders: list[OrderView], today: date) -> Reply:
    """Ask which order, offering the customer's open orders as buttons."""
    open_orders = [o for o in orders if o.status in OPEN_STATUSES][:5]
    buttons = [{"title": f"#{o.id}", "payload": f'/inform{{"order_id": "{o.id}"}}'} for o in open_orders]
    if len(open_orders) == 1:
        order = open_orders[0]
        verb = "shipped" if order.status == "shipped" else f"was {'placed' if order.status in CHANGEABLE else order.status}"
        moment = order.shipped_at if order.status == "shipped" else order.latest_status_at
        return Reply(f"Is this about order #{order.id}, which {verb} {when(moment, today)}? "
                     "If not, type the order number.", buttons)
    if open_orders:
        return Reply("Which order is it about? Pick one or type its number.", buttons)
    return Reply("What's the order number? It's in your confirmation e-mail (for example #10482).")


def order_reply(topic: str | None, order: OrderView, store: ProfileStore, customer_id: str,
                today: date, new_address: str | None = None) -> Reply:
    """The answer to an order request; changes only propose, and wait for a yes or no."""
    ref = f"#{order.id}"
    if topic == "cancel":
        if order.status in ("placed", "paid", "packed"):
            fee = "costs a $5 handling fee" if order.status == "packed" else "is free"
            return Reply(f"Order {ref} is {order.status}, so cancelling it {fee}. Shall I cancel it?",
                         YES_NO_BUTTONS, asks_confirmation=True)
        return Reply(_cancel_refusal(order))
    if topic == "change":
        if order.status in CHANGEABLE:
            return Reply(f"Order {ref} is still {order.status}: you can change items, sizes and colours "
                         "under Account > Orders > Change until it is packed.")
        return Reply(f"Order {ref} is {order.status}, so it can no longer be changed. You can return "
                     "items within 30 days of delivery.")
    if topic == "address":
        if order.status not in CHANGEABLE:
            return Reply(f"Order {ref} is {order.status}, so its shipping address can no longer be changed.")
        return Reply(f"Change the shipping address of order {ref} from \"{order.shipping_address}\" to "
                     f"\"{new_address}\"?", YES_NO_BUTTONS, asks_confirmation=True)
    if topic == "invoice":
        invoice = store.invoice(customer_id, order.id)
        if invoice is None:
            return Reply(f"Order {ref} has no invoice yet: invoices are issued when an order ships.")
        return Reply(f"Invoice {invoice.number} for order {ref}: {money(invoice.total_cents)}, issued "
                     f"{when(invoice.issued_at, today)}. Download it any time under Account > Orders > Invoice.")
    if topic == "invoice_copy":
        result = store.send_invoice(customer_id, order.id)
        if not result.ok:
            return Reply(f"Order {ref} has no invoice yet: invoices are issued when an order ships.")
        customer = store.get_customer(customer_id)
        return Reply(f"Done: I've e-mailed the invoice for order {ref} to {customer.verified_email_masked}.")
    if topic == "refund":
        if order.status != "delivered":
            return Reply(f"Order {ref} is {order.status}; returns and refunds start once an order is "
                         "delivered." if order.status != "returned" else f"Order {ref} was already returned.")
        return Reply(f"Shall I start a return of order {ref} for a refund of {money(order.total_cents)}?",
                     YES_NO_BUTTONS, asks_confirmation=True)
    if topic == "refund_status":
        refunds = store.refunds(customer_id, order.id)
        if not refunds:
            return Reply(f"There is no refund for order {ref} yet.")
        lines = [f"Refund of {money(r.amount_cents)} for order {ref}: {r.status} (requested "
                 f"{when(r.created_at, today)})" for r in refunds]
        if any(r.status in ("requested", "approved") for r in refunds):
            lines.append("Refunds reach your original payment method 5-7 business days after the "
                         "return arrives at our warehouse.")
        return Reply("\n".join(lines))
    return Reply(describe_order(order, today))


def _cancel_refusal(order: OrderView) -> str:
    ref = f"#{order.id}"
    if order.status == "cancelled":
        return f"Order {ref} is already cancelled."
    if order.status == "returned":
        return f"Order {ref} was returned, so there is nothing to cancel."
    return (f"Order {ref} has already {'shipped' if order.status == 'shipped' else 'been delivered'}, so it "
            "can't be cancelled. You can refuse the delivery or return it within 30 days of delivery.")


CHANGE_REPLIES = {
    "cancelled": "Order #{order_id} is cancelled.{fee} You'll get an e-mail confirmation.",
    "changed": "Done: order #{order_id} will ship to the new address.",
    "requested": "Your return of order #{order_id} is started. We've e-mailed you a free return label; "
                 "the refund follows 5-7 business days after the parcel arrives.",
    "already_cancelled": "Order #{order_id} is already cancelled.",
    "already_requested": "A return for order #{order_id} is already under way.",
    "not_delivered": "Order #{order_id} isn't delivered yet, so a return can't start.",
    "not_found": "I can't find order #{order_id} on your account.",
}
TOO_LATE = {
    "refund": "Order #{order_id} was delivered more than 30 days ago, so it is past the return window.",
}


def change_reply(topic: str | None, result: ChangeResult, order_id: int) -> Reply:
    """The outcome of a confirmed change, in the customer's terms."""
    fee_cents = result.message_data.get("fee_cents", 0)
    fee = f" A {money(fee_cents)} handling fee applies." if fee_cents else " There is no fee."
    if result.code == "too_late":
        template = TOO_LATE.get(topic or "", "Sorry, order #{order_id} has moved on in the meantime "
                                            "and can no longer be changed.")
    else:
        template = CHANGE_REPLIES.get(result.code, "Done." if result.ok else "Sorry, that didn't work.")
    return Reply(template.format(order_id=order_id, fee=fee))
