"""What the assistant may look up and change in a customer's profile, and nothing more.

Every method that touches customer data is scoped by the customer id the conversation was
verified for: another customer's order number behaves exactly like one that does not exist,
so the assistant can never reveal or change someone else's data. Results are frozen
dataclasses, so callers never hold an ORM object or a session. The rules follow
docs/demo-store.md.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot.db import utcnow
from bot.profiles.models import (
    Customer,
    EmailKind,
    Invoice,
    Order,
    OrderStatus,
    OrderStatusEvent,
    OutboxEmail,
    PaymentMethod,
    Refund,
    RefundStatus,
)

SITE = "https://harborandpine.example"
OPEN_STATUSES = (OrderStatus.placed, OrderStatus.paid, OrderStatus.packed, OrderStatus.shipped)
CANCEL_FEE_CENTS = {OrderStatus.placed: 0, OrderStatus.paid: 0, OrderStatus.packed: 500}
ADDRESS_CHANGEABLE = (OrderStatus.placed, OrderStatus.paid)
OPEN_REFUND_STATUSES = (RefundStatus.requested, RefundStatus.approved)
RETURN_WINDOW = timedelta(days=30)
RESET_LINK_VALID = timedelta(hours=1)
DELETION_GRACE = timedelta(days=14)
MAX_ADDRESS_CHARS = 300
EDITABLE_FIELDS = ("first_name", "last_name", "phone")
_NAME = re.compile(r"[^\W\d_]+(?:[ '’-]+[^\W\d_]+)*")  # letters, inner spaces ' -
_PHONE = re.compile(r"[0-9 +()\-]{7,20}")
_WALLET_NAMES = {"paypal": "PayPal", "klarna": "Klarna", "gift_card": "Gift card"}


def mask_email(email: str) -> str:
    """Enough of an address to recognise it ("m***@example.com"), too little to harvest."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


@dataclass(frozen=True)
class CustomerView:
    id: str
    first_name: str
    last_name: str
    email: str
    tier: str
    language: str
    newsletter: bool
    verified_email_masked: str


@dataclass(frozen=True)
class OrderView:
    id: int
    status: str
    placed_at: datetime
    delivery_method: str
    expected_delivery: date | None
    shipping_address: str
    total_cents: int
    items: tuple[tuple[str, int], ...]  # (name, quantity)
    carrier: str | None
    tracking_number: str | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    latest_status_at: datetime


@dataclass(frozen=True)
class RefundView:
    id: int
    order_id: int
    amount_cents: int
    status: str
    reason: str
    created_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True)
class InvoiceView:
    number: str
    order_id: int
    issued_at: datetime
    total_cents: int


@dataclass(frozen=True)
class PaymentMethodView:
    kind: str
    brand: str | None
    last4: str | None
    expiry: str | None
    is_default: bool

    @property
    def label(self) -> str:
        """How the assistant names it to the customer: "Visa ending 4242", "PayPal"."""
        name = (self.brand or "Card") if self.kind == "card" else _WALLET_NAMES[self.kind]
        return f"{name} ending {self.last4}" if self.last4 else name


@dataclass(frozen=True)
class ChangeResult:
    """The outcome of a change: `code` picks the reply, `message_data` fills it in."""

    ok: bool
    code: str
    message_data: dict[str, Any] = field(default_factory=dict)


def _utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything here is stored in UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _customer_view(customer: Customer) -> CustomerView:
    return CustomerView(
        id=customer.id, first_name=customer.first_name, last_name=customer.last_name,
        email=customer.email, tier=customer.tier.value, language=customer.language,
        newsletter=customer.newsletter, verified_email_masked=mask_email(customer.email),
    )


def _order_view(order: Order) -> OrderView:
    shipment = order.shipment
    return OrderView(
        id=order.id, status=order.status.value, placed_at=_utc(order.placed_at),
        delivery_method=order.delivery_method.value, expected_delivery=order.expected_delivery,
        shipping_address=order.shipping_address, total_cents=order.total_cents,
        items=tuple((item.name, item.quantity) for item in order.items),
        carrier=shipment.carrier.value if shipment else None,
        tracking_number=shipment.tracking_number if shipment else None,
        shipped_at=_utc(shipment.shipped_at) if shipment else None,
        delivered_at=_utc(shipment.delivered_at) if shipment else None,
        latest_status_at=_utc(order.status_history[-1].at if order.status_history
                              else order.placed_at),
    )


def _refund_view(refund: Refund) -> RefundView:
    return RefundView(
        id=refund.id, order_id=refund.order_id, amount_cents=refund.amount_cents,
        status=refund.status.value, reason=refund.reason, created_at=_utc(refund.created_at),
        completed_at=_utc(refund.completed_at),
    )


def _money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def valid_account_value(field_name: str, value: str) -> bool:
    """Names: 1-50 letters, spaces, hyphens, apostrophes. Phones: 7-20 of 0-9 + - ( ) and
    space, at least 7 of them digits."""
    if field_name == "phone":
        digits = sum(char.isdigit() for char in value)
        return _PHONE.fullmatch(value) is not None and digits >= 7
    return len(value) <= 50 and _NAME.fullmatch(value) is not None


class ProfileStore:
    """Customer profiles for the assistant; `now` is injectable so time rules can be tested."""

    def __init__(self, sessions: sessionmaker[Session],
                 now: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._now = now

    # --- lookups -------------------------------------------------------------------------

    def get_customer(self, customer_id: str) -> CustomerView | None:
        with self._sessions() as session:
            customer = session.get(Customer, customer_id)
            return _customer_view(customer) if customer else None

    def verify(self, email: str, order_id: int) -> str | None:
        """The customer id when that e-mail's customer owns that order: the identity check."""
        query = (select(Customer.id).join(Order, Order.customer_id == Customer.id)
                 .where(Customer.email == email.strip().lower(), Order.id == order_id))
        with self._sessions() as session:
            return session.scalar(query)

    def orders(self, customer_id: str, open_only: bool = False) -> list[OrderView]:
        query = (_with_details(select(Order).where(Order.customer_id == customer_id))
                 .order_by(Order.placed_at.desc(), Order.id.desc()))
        if open_only:
            query = query.where(Order.status.in_(OPEN_STATUSES))
        with self._sessions() as session:
            return [_order_view(order) for order in session.scalars(query)]

    def order(self, customer_id: str, order_id: int) -> OrderView | None:
        with self._sessions() as session:
            order = session.scalar(_with_details(_owned_order(customer_id, order_id)))
            return _order_view(order) if order else None

    def refunds(self, customer_id: str, order_id: int) -> list[RefundView]:
        query = (select(Refund).join(Order)
                 .where(Order.id == order_id, Order.customer_id == customer_id)
                 .order_by(Refund.created_at, Refund.id))
        with self._sessions() as session:
            return [_refund_view(refund) for refund in session.scalars(query)]

    def invoice(self, customer_id: str, order_id: int) -> InvoiceView | None:
        query = (select(Invoice).join(Order)
                 .where(Order.id == order_id, Order.customer_id == customer_id))
        with self._sessions() as session:
            invoice = session.scalar(query)
            if invoice is None:
                return None
            return InvoiceView(number=invoice.number, order_id=invoice.order_id,
                               issued_at=_utc(invoice.issued_at), total_cents=invoice.total_cents)

    def payment_methods(self, customer_id: str) -> list[PaymentMethodView]:
        query = (select(PaymentMethod).where(PaymentMethod.customer_id == customer_id)
                 .order_by(PaymentMethod.is_default.desc(), PaymentMethod.id))
        with self._sessions() as session:
            return [PaymentMethodView(kind=method.kind.value, brand=method.brand,
                                      last4=method.last4, expiry=method.expiry,
                                      is_default=method.is_default)
                    for method in session.scalars(query)]

    def outbox(self, customer_id: str | None = None) -> list[tuple[str, str, str]]:
        """(to_email, kind, subject) of the e-mails written so far, oldest first."""
        query = select(OutboxEmail).order_by(OutboxEmail.id)
        if customer_id is not None:
            query = query.where(OutboxEmail.customer_id == customer_id)
        with self._sessions() as session:
            return [(email.to_email, email.kind.value, email.subject)
                    for email in session.scalars(query)]

    # --- order changes -------------------------------------------------------------------

    def cancel_order(self, customer_id: str, order_id: int) -> ChangeResult:
        """Free until packed, $5 once packed, impossible once shipped."""
        with self._sessions.begin() as session:
            order = session.scalar(_owned_order(customer_id, order_id).with_for_update())
            if order is None:
                return _not_found(order_id)
            if order.status == OrderStatus.cancelled:
                return ChangeResult(False, "already_cancelled", {"order_id": order_id})
            if order.status not in CANCEL_FEE_CENTS:
                return ChangeResult(False, "too_late",
                                    {"order_id": order_id, "status": order.status.value})
            fee_cents = CANCEL_FEE_CENTS[order.status]
            order.status = OrderStatus.cancelled
            order.status_history.append(OrderStatusEvent(status=OrderStatus.cancelled,
                                                         at=self._now()))
            fee = f" A handling fee of {_money(fee_cents)} applies." if fee_cents else ""
            self._write_email(session, order.customer, EmailKind.order_change,
                              f"Your order #{order_id} is cancelled",
                              f"Your order #{order_id} has been cancelled.{fee}")
            return ChangeResult(True, "cancelled", {"order_id": order_id, "fee_cents": fee_cents})

    def change_shipping_address(self, customer_id: str, order_id: int,
                                new_address: str) -> ChangeResult:
        """Possible until the order is packed."""
        address = new_address.strip()
        if not address or len(address) > MAX_ADDRESS_CHARS:
            return ChangeResult(False, "invalid_value", {"order_id": order_id})
        with self._sessions.begin() as session:
            order = session.scalar(_owned_order(customer_id, order_id).with_for_update())
            if order is None:
                return _not_found(order_id)
            if order.status not in ADDRESS_CHANGEABLE:
                return ChangeResult(False, "too_late",
                                    {"order_id": order_id, "status": order.status.value})
            order.shipping_address = address
            self._write_email(session, order.customer, EmailKind.order_change,
                              f"New shipping address for order #{order_id}",
                              f"Your order #{order_id} will now ship to:\n{address}")
            return ChangeResult(True, "changed", {"order_id": order_id, "address": address})

    def start_refund(self, customer_id: str, order_id: int, reason: str) -> ChangeResult:
        """A return for the whole order, within 30 days of delivery, one open at a time."""
        now = self._now()
        with self._sessions.begin() as session:
            order = session.scalar(_owned_order(customer_id, order_id).with_for_update())
            if order is None:
                return _not_found(order_id)
            delivered_at = _utc(order.shipment.delivered_at) if order.shipment else None
            if order.status != OrderStatus.delivered or delivered_at is None:
                return ChangeResult(False, "not_delivered",
                                    {"order_id": order_id, "status": order.status.value})
            open_refund = next((r for r in order.refunds if r.status in OPEN_REFUND_STATUSES),
                               None)
            if open_refund is not None:
                return ChangeResult(False, "already_requested",
                                    {"order_id": order_id, "status": open_refund.status.value})
            deadline = (delivered_at + RETURN_WINDOW).date().isoformat()
            if now - delivered_at > RETURN_WINDOW:
                return ChangeResult(False, "too_late", {"order_id": order_id,
                                                        "deadline": deadline})
            order.refunds.append(Refund(amount_cents=order.total_cents,
                                        status=RefundStatus.requested,
                                        reason=reason.strip(), created_at=now))
            return ChangeResult(True, "requested", {"order_id": order_id,
                                                    "amount_cents": order.total_cents,
                                                    "deadline": deadline})

    def send_invoice(self, customer_id: str, order_id: int) -> ChangeResult:
        """E-mail the invoice again; there is one from the moment the order ships."""
        with self._sessions.begin() as session:
            order = session.scalar(_owned_order(customer_id, order_id))
            if order is None:
                return _not_found(order_id)
            if order.invoice is None:
                return ChangeResult(False, "no_invoice",
                                    {"order_id": order_id, "status": order.status.value})
            number = order.invoice.number
            self._write_email(
                session, order.customer, EmailKind.invoice, f"Your invoice {number}",
                f"Attached is invoice {number} for order #{order_id} "
                f"({_money(order.invoice.total_cents)}). You can also download it any time "
                f"under Account > Orders > Invoice.",
            )
            return ChangeResult(True, "sent", {"order_id": order_id, "number": number,
                                               "email_masked": mask_email(order.customer.email)})

    # --- account changes -----------------------------------------------------------------

    def update_account(self, customer_id: str, field_name: str, value: str) -> ChangeResult:
        """Only names and phone: the e-mail is the identity check, so it is not changed here."""
        if field_name not in EDITABLE_FIELDS:
            return ChangeResult(False, "invalid_field", {"field": field_name})
        value = unicodedata.normalize("NFC", value.strip())
        if not valid_account_value(field_name, value):
            return ChangeResult(False, "invalid_value", {"field": field_name})
        with self._sessions.begin() as session:
            customer = session.get(Customer, customer_id)
            if customer is None:
                return ChangeResult(False, "not_found", {})
            setattr(customer, field_name, value)
        return ChangeResult(True, "updated", {"field": field_name, "value": value})

    def request_password_reset(self, email: str) -> None:
        """Mail a reset link if the address is known; the caller cannot tell whether it was."""
        now = self._now()
        with self._sessions.begin() as session:
            customer = session.scalar(select(Customer)
                                      .where(Customer.email == email.strip().lower()))
            if customer is None:
                return
            link = f"{SITE}/reset/{secrets.token_urlsafe(32)}"
            until = (now + RESET_LINK_VALID).strftime("%H:%M UTC")
            self._write_email(session, customer, EmailKind.password_reset,
                              "Reset your Harbor & Pine password",
                              f"Use this link to choose a new password: {link}\n"
                              f"It is valid for 1 hour (until {until}). If you did not ask "
                              f"for it, ignore this e-mail; your password stays the same.")

    def set_newsletter(self, customer_id: str, subscribed: bool) -> ChangeResult:
        with self._sessions.begin() as session:
            customer = session.get(Customer, customer_id)
            if customer is None:
                return ChangeResult(False, "not_found", {})
            if customer.newsletter == subscribed:
                return ChangeResult(True, "unchanged", {"subscribed": subscribed})
            customer.newsletter = subscribed
            if subscribed:
                self._write_email(session, customer, EmailKind.newsletter,
                                  "Welcome to the Harbor & Pine newsletter",
                                  "You will get our newsletter every week, and 10% off your "
                                  "next order. Every e-mail has an unsubscribe link.")
            else:
                self._write_email(session, customer, EmailKind.newsletter,
                                  "You are unsubscribed",
                                  "You will not get the Harbor & Pine newsletter anymore.")
            return ChangeResult(True, "subscribed" if subscribed else "unsubscribed",
                                {"subscribed": subscribed})

    def request_deletion(self, customer_id: str) -> ChangeResult:
        """Deletion becomes permanent after a 14-day grace period; order records stay 7 years."""
        now = self._now()
        with self._sessions.begin() as session:
            customer = session.get(Customer, customer_id)
            if customer is None:
                return ChangeResult(False, "not_found", {})
            if customer.deletion_requested_at is not None:
                effective = _utc(customer.deletion_requested_at) + DELETION_GRACE
                return ChangeResult(False, "already_requested",
                                    {"effective_on": effective.date().isoformat()})
            customer.deletion_requested_at = now
            effective_on = (now + DELETION_GRACE).date().isoformat()
            self._write_email(session, customer, EmailKind.deletion_confirmation,
                              "Your account deletion request",
                              f"We received your request to delete your Harbor & Pine "
                              f"account. It will be deleted permanently on {effective_on}; "
                              f"until then you can change your mind by contacting us. "
                              f"Order records are kept for 7 years, as tax law requires.")
            return ChangeResult(True, "requested", {"effective_on": effective_on})

    # --- helpers -------------------------------------------------------------------------

    def _write_email(self, session: Session, customer: Customer, kind: EmailKind,
                     subject: str, body: str) -> None:
        greeting = f"Hello {customer.first_name},\n\n"
        session.add(OutboxEmail(customer_id=customer.id, to_email=customer.email, kind=kind,
                                subject=subject, body=greeting + body, created_at=self._now()))


def _owned_order(customer_id: str, order_id: int) -> Select[tuple[Order]]:
    """Both ids in one WHERE: another customer's order is simply not found. Changes add
    FOR UPDATE (PostgreSQL) so two changes to one order cannot race."""
    return select(Order).where(Order.id == order_id, Order.customer_id == customer_id)


def _with_details(query: Select[tuple[Order]]) -> Select[tuple[Order]]:
    return query.options(selectinload(Order.items), selectinload(Order.status_history),
                         selectinload(Order.shipment))


def _not_found(order_id: int) -> ChangeResult:
    """The same answer for "no such order" and "someone else's order"."""
    return ChangeResult(False, "not_found", {"order_id": order_id})
