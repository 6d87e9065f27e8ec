"""The demo seed: enough varied, self-consistent data, the README's customers exactly as
documented, and the same result every time."""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from bot.profiles.models import Customer, Order, OrderStatus, Refund, RefundStatus, Tier
from bot.profiles.seed import READY_MADE, build_demo_customers, seed

from .conftest import TODAY

READY_MADE_ORDERS = {10482, 10511, 10377, 20931, 20877, 20950, 31005, 31022}
HAPPY_PATH = ["placed", "paid", "packed", "shipped", "delivered"]


def _customers(sessions):
    with sessions() as session:
        return list(session.scalars(select(Customer).order_by(Customer.id).options(
            selectinload(Customer.addresses), selectinload(Customer.payment_methods),
            selectinload(Customer.orders).selectinload(Order.items),
            selectinload(Customer.orders).selectinload(Order.status_history),
            selectinload(Customer.orders).selectinload(Order.shipment),
            selectinload(Customer.orders).selectinload(Order.invoice),
            selectinload(Customer.orders).selectinload(Order.refunds))))


def test_the_seed_has_enough_customers_and_every_status(sessions):
    summary = seed(sessions, today=TODAY)
    assert summary.created and summary.customers >= 50
    assert set(summary.by_status) == {status.value for status in OrderStatus}
    assert sum(summary.by_status.values()) == summary.orders
    with sessions() as session:
        refund_statuses = set(session.scalars(select(Refund.status).distinct()))
        vips = session.scalar(select(func.count()).where(Customer.tier == Tier.vip))
        subscribers = session.scalar(select(func.count()).where(Customer.newsletter))
    assert refund_statuses == set(RefundStatus)
    assert 0.05 <= vips / summary.customers <= 0.15
    assert 0 < subscribers < summary.customers


def test_every_customer_and_order_is_consistent(sessions):
    seed(sessions, today=TODAY)
    latest = datetime.combine(TODAY, time(6, 0), tzinfo=UTC)
    customers = _customers(sessions)
    emails = [customer.email for customer in customers]
    assert len(set(emails)) == len(emails) and all(email == email.lower() for email in emails)
    for customer in customers:
        assert 1 <= len(customer.addresses) <= 3 and 1 <= len(customer.payment_methods) <= 3
        assert 1 <= len(customer.orders) <= 5
        assert [a.is_default for a in customer.addresses].count(True) == 1
        assert [m.is_default for m in customer.payment_methods].count(True) == 1
        assert all(len(a.country) == 2 for a in customer.addresses)
        for method in customer.payment_methods:
            assert method.last4 is None or (len(method.last4) == 4 and method.last4.isdigit())
            assert (method.brand is not None) == (method.kind.value == "card")
        for order in customer.orders:
            _assert_consistent(order, customer, latest)


def _assert_consistent(order, customer, latest):
    history = [event.status.value for event in order.status_history]
    assert history[-1] == order.status.value and history[0] == "placed"
    assert history[:-1] == HAPPY_PATH[:len(history) - 1]
    if order.status.value == "returned":
        assert history == HAPPY_PATH + ["returned"]
    times = [event.at for event in order.status_history]
    assert times == sorted(times) and times[0] == order.placed_at and _utc(times[-1]) <= latest
    assert customer.created_at < order.placed_at
    assert 10000 <= order.id <= 99999 and order.items
    subtotal = sum(item.quantity * item.unit_price_cents for item in order.items)
    assert subtotal <= order.total_cents <= subtotal + 2495
    shipped = "shipped" in history
    assert (order.shipment is not None) == shipped and (order.invoice is not None) == shipped
    if shipped:
        assert order.shipment.shipped_at == order.status_history[3].at
        assert (order.shipment.delivered_at is not None) == ("delivered" in history)
        assert order.invoice.total_cents == order.total_cents
        assert order.invoice.number == f"INV-{order.shipment.shipped_at.year}-{order.id}"
        assert (order.shipment.carrier.value == "DHL") == (
            order.delivery_method.value == "international")
    if order.status.value not in ("delivered", "returned"):
        assert order.refunds == []
    if order.status.value == "returned":
        assert {r.status.value for r in order.refunds} <= {"approved", "refunded"}
        assert order.refunds
    for refund in order.refunds:
        assert refund.amount_cents == order.total_cents
        assert order.shipment.delivered_at < refund.created_at
        assert _utc(refund.created_at) <= latest
        assert (refund.completed_at is not None) == (refund.status.value in ("refunded",
                                                                             "rejected"))


def _utc(moment):
    """SQLite returns naive datetimes (in UTC), PostgreSQL aware ones."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_the_ready_made_customers_are_exactly_as_documented(sessions):
    seed(sessions, today=TODAY)
    by_id = {customer.id: customer for customer in _customers(sessions)}
    for entry in READY_MADE:
        customer = by_id[entry["id"]]
        assert f"{customer.first_name} {customer.last_name}" == entry["name"]
        assert customer.email == entry["email"] and entry["try"]
    day = timedelta(days=1)

    def orders(customer_id):
        return {order.id: order for order in by_id[customer_id].orders}

    maya = orders("C1001")
    assert by_id["C1001"].tier == Tier.standard and set(maya) == {10482, 10511, 10377}
    assert maya[10482].status.value == "shipped"
    assert maya[10482].shipment.carrier.value == "UPS"
    assert maya[10482].shipment.tracking_number == "1Z999AA10123456784"
    assert maya[10482].shipment.shipped_at.date() == TODAY - day
    assert maya[10482].expected_delivery == TODAY + day
    assert maya[10511].status.value == "paid" and maya[10511].placed_at.date() == TODAY
    assert maya[10377].status.value == "delivered" and maya[10377].invoice is not None
    assert maya[10377].shipment.delivered_at.date() == TODAY - 10 * day

    jonas = orders("C1002")
    assert by_id["C1002"].tier == Tier.vip and set(jonas) == {20931, 20877, 20950}
    assert jonas[20931].status.value == "packed"
    assert jonas[20877].shipment.delivered_at.date() == TODAY - 40 * day
    assert jonas[20950].shipment.delivered_at.date() == TODAY - 3 * day
    assert [r.status.value for r in jonas[20950].refunds] == ["requested"]

    priya = orders("C1003")
    assert by_id["C1003"].tier == Tier.standard and set(priya) == {31005, 31022}
    assert priya[31005].status.value == "cancelled"
    assert priya[31022].status.value == "returned"
    assert [r.status.value for r in priya[31022].refunds] == ["refunded"]

    generated = {order.id for customer in by_id.values() if customer.id not in
                 ("C1001", "C1002", "C1003") for order in customer.orders}
    assert not generated & READY_MADE_ORDERS


def test_seeding_again_creates_nothing(sessions):
    first = seed(sessions, today=TODAY)
    again = seed(sessions, today=TODAY + timedelta(days=5))
    assert not again.created
    assert (again.customers, again.orders, again.by_status) == (
        first.customers, first.orders, first.by_status)


def _snapshot(customers, today):
    """Everything the seed decides, with times relative to `today`."""
    origin = datetime.combine(today, time(0), tzinfo=UTC)

    def rel(value):
        if isinstance(value, datetime):
            return value - origin
        if isinstance(value, date):
            return value - today
        return value

    return [(
        c.id, c.first_name, c.last_name, c.email, c.phone, c.tier, c.newsletter, rel(c.created_at),
        [(a.label, a.line1, a.line2, a.city, a.postcode, a.country, a.is_default)
         for a in c.addresses],
        [(m.kind, m.brand, m.last4, m.expiry, m.is_default) for m in c.payment_methods],
        [(o.id, o.status, o.delivery_method, rel(o.placed_at), rel(o.expected_delivery),
          o.shipping_address, o.total_cents,
          [(i.sku, i.quantity) for i in o.items],
          [(e.status, rel(e.at)) for e in o.status_history],
          o.shipment and (o.shipment.carrier, o.shipment.tracking_number,
                          rel(o.shipment.delivered_at)),
          [(r.status, r.reason, rel(r.created_at), rel(r.completed_at)) for r in o.refunds])
         for o in c.orders],
    ) for c in customers]


def test_the_seed_is_deterministic_and_moves_with_today():
    snapshot = _snapshot(build_demo_customers(TODAY), TODAY)
    assert snapshot == _snapshot(build_demo_customers(TODAY), TODAY)
    tomorrow = TODAY + timedelta(days=1)
    assert snapshot == _snapshot(build_demo_customers(tomorrow), tomorrow)
