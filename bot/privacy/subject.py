"""One customer's data: everything held about them as one JSON document (GDPR art. 15, 20),
and its erasure (art. 17), keeping only what the store must keep by law
(`privacy_erasure_keeps`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.models import ChannelContact, Delivery
from bot.db import Base, utcnow
from bot.desk.models import Conversation, Handoff, Message, Note
from bot.kb.feedback import KbQuestion
from bot.privacy.models import PrivacyRequest
from bot.privacy.scrub import anonymise_conversations
from bot.privacy.tracker import TrackerEvents
from bot.profiles.models import (
    Address,
    Customer,
    Invoice,
    Order,
    OrderItem,
    OrderStatusEvent,
    OutboxEmail,
    PaymentMethod,
    Refund,
    Shipment,
)
from bot.profiles.store import PaymentMethodView

EXPORT_FORMAT = "harbor-privacy-export/1"
# Never exported: a secret of the store's, not data about the customer.
SECRET_COLUMNS = frozenset({"token_hash"})


class UnknownCustomer(LookupError):
    def __init__(self, customer_id: str) -> None:
        super().__init__(f"no customer {customer_id}")


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "value") and not isinstance(value, (str, int, float, bool)):
        return value.value  # enums
    return value


def _row(row: Base, leave_out: Iterable[str] = ()) -> dict[str, Any]:
    """Every column of the row: the export must hold everything, so nothing is picked by hand."""
    skip = SECRET_COLUMNS | set(leave_out)
    return {column.key: _plain(getattr(row, column.key))
            for column in row.__table__.columns if column.key not in skip}


def find_customer(session: Session, customer_id: str) -> Customer | None:
    """Ids come from URLs; PostgreSQL refuses a NUL even in a lookup, so such an id is unknown."""
    return session.get(Customer, customer_id) if "\x00" not in customer_id else None


def _customer(session: Session, customer_id: str) -> Customer:
    customer = find_customer(session, customer_id)
    if customer is None:
        raise UnknownCustomer(customer_id)
    return customer


def conversations_of(session: Session, customer: Customer) -> list[str]:
    """Conversations linked to the customer (verified in chat, signed in, or one of their
    channel contacts), and those where they left their e-mail to be contacted."""
    return list(session.scalars(select(Conversation.id).where(or_(
        Conversation.customer_id == customer.id,
        func.lower(Conversation.contact_email) == customer.email.lower())).order_by(Conversation.created_at)))


def _order(session: Session, order: Order) -> dict[str, Any]:
    shipment = session.scalar(select(Shipment).where(Shipment.order_id == order.id))
    invoice = session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    return {**_row(order),
            "items": [_row(i, ["order_id"]) for i in session.scalars(
                select(OrderItem).where(OrderItem.order_id == order.id).order_by(OrderItem.id))],
            "status_history": [_row(e, ["order_id"]) for e in session.scalars(
                select(OrderStatusEvent).where(OrderStatusEvent.order_id == order.id).order_by(OrderStatusEvent.id))],
            "shipment": _row(shipment, ["order_id"]) if shipment else None,
            "refunds": [_row(r, ["order_id"]) for r in session.scalars(
                select(Refund).where(Refund.order_id == order.id).order_by(Refund.id))],
            "invoice": _row(invoice, ["order_id"]) if invoice else None}


def _conversation(session: Session, conversation_id: str) -> dict[str, Any]:
    by_conversation = {"conversation_id": conversation_id}

    def rows(model: type[Base], order: Any) -> list[dict[str, Any]]:
        return [_row(r, ["conversation_id"]) for r in session.scalars(
            select(model).filter_by(**by_conversation).order_by(order))]

    return {**_row(session.get(Conversation, conversation_id)),
            "messages": rows(Message, Message.id),
            "handoffs": rows(Handoff, Handoff.id),
            "notes": rows(Note, Note.id),
            "kb_feedback": rows(KbQuestion, KbQuestion.id),
            "channel_contacts": rows(ChannelContact, ChannelContact.id),
            "channel_deliveries": rows(Delivery, Delivery.id)}


def export_customer(sessions: sessionmaker[Session], customer_id: str, requested_by: str) -> dict[str, Any]:
    """The document handed to the customer; the request is recorded with counts only."""
    with sessions.begin() as session:
        customer = _customer(session, customer_id)
        methods = session.scalars(select(PaymentMethod).where(PaymentMethod.customer_id == customer.id)
                                  .order_by(PaymentMethod.id)).all()
        document = {
            "format": EXPORT_FORMAT, "exported_at": utcnow().isoformat(),
            "customer": _row(customer),
            "addresses": [_row(a, ["customer_id"]) for a in session.scalars(
                select(Address).where(Address.customer_id == customer.id).order_by(Address.id))],
            # As the customer sees them in chat: the store never holds full card numbers.
            "payment_methods": [{**_row(m, ["customer_id"]), "label": PaymentMethodView(
                m.kind.value, m.brand, m.last4, m.expiry, m.is_default).label} for m in methods],
            "orders": [_order(session, o) for o in session.scalars(
                select(Order).where(Order.customer_id == customer.id).order_by(Order.placed_at))],
            "conversations": [_conversation(session, c) for c in conversations_of(session, customer)],
            "emails": [_row(e, ["customer_id"]) for e in session.scalars(
                select(OutboxEmail).where(or_(OutboxEmail.customer_id == customer.id,
                                              func.lower(OutboxEmail.to_email) == customer.email.lower()))
                .order_by(OutboxEmail.id))],
        }
        session.add(PrivacyRequest(kind="export", customer_id=customer.id, requested_by=requested_by,
                                   counts={"conversations": len(document["conversations"]),
                                           "orders": len(document["orders"])}))
    return document


def _delete(session: Session, model: type[Base], *where: Any) -> int:
    return session.execute(delete(model).where(*where)).rowcount or 0


def erase_customer(sessions: sessionmaker[Session], tracker: TrackerEvents, customer_id: str,
                   requested_by: str, keeps: Iterable[str]) -> dict[str, Any]:
    """Remove or anonymise everything about the customer but what `keeps` names; returns the
    request as recorded: counts, never the erased data."""
    keeps = sorted(set(keeps))
    now = utcnow()
    with sessions.begin() as session:
        customer = _customer(session, customer_id)
        email = customer.email.lower()
        conversations = conversations_of(session, customer)
        counts = anonymise_conversations(session, conversations, now) if conversations else {}
        order_ids = list(session.scalars(select(Order.id).where(Order.customer_id == customer.id)))
        counts["emails"] = _delete(session, OutboxEmail, or_(OutboxEmail.customer_id == customer.id,
                                                              func.lower(OutboxEmail.to_email) == email))
        counts["addresses"] = _delete(session, Address, Address.customer_id == customer.id)
        counts["payment_methods"] = _delete(session, PaymentMethod, PaymentMethod.customer_id == customer.id)
        if "refunds" not in keeps:
            counts["refunds"] = _delete(session, Refund, Refund.order_id.in_(order_ids))
        if "invoices" not in keeps:
            counts["invoices"] = _delete(session, Invoice, Invoice.order_id.in_(order_ids))
        if "orders" not in keeps:
            for model in (OrderItem, OrderStatusEvent, Shipment):
                counts[model.__tablename__] = _delete(session, model, model.order_id.in_(order_ids))
            counts["orders"] = _delete(session, Order, Order.id.in_(order_ids))
        if "orders" in keeps and order_ids:
            # Kept orders still name their customer row; it keeps nothing but its id.
            customer.first_name, customer.last_name, customer.phone = "", "", None
            customer.email = f"erased-{customer.id.lower()}@erased.invalid"
            customer.marketing_consent = customer.newsletter = False
            customer.erased_at = now
            outcome = "anonymised"
        else:
            session.delete(customer)
            outcome = "deleted"
        request = PrivacyRequest(kind="erase", customer_id=customer_id, requested_by=requested_by,
                                 counts={**counts, "customer": outcome, "kept": keeps}, at=now)
        session.add(request)  # with the erasure, in one transaction
    counts["tracker_events"] = tracker.delete(conversations)
    with sessions.begin() as session:
        session.get(PrivacyRequest, request.id).counts = {**counts, "customer": outcome, "kept": keeps}
    return {"request_id": request.id, "customer_id": customer_id, "customer": outcome,
            "removed": counts, "kept": keeps}
