"""Privacy on SQLite and PostgreSQL: what redaction masks and leaves alone, erasure leaving
nothing of a customer outside the keep-list in any table of the desk or of the tracker
store, the export holding all of it, and retention taking exactly what is older than the
limit. The tracker store here is a table shaped as Rasa's SQLTrackerStore makes it; the
integration tests run the real one."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.analytics.facts import ConversationFacts, track
from bot.channels.models import ChannelContact, Delivery
from bot.console.accounts import Account
from bot.desk.conversations import ConversationStore
from bot.desk.models import Agent, Conversation, Handoff, HandoffStatus, Message, Note, Role, Sender
from bot.kb.feedback import KbQuestion
from bot.privacy.access import AccessLog
from bot.privacy.models import PrivacyRequest
from bot.privacy.redact import Redactor
from bot.locks import LocalLocks
from bot.privacy.retention import RetentionJob, erase_due, purge
from bot.privacy.subject import UnknownCustomer, erase_customer, export_customer
from bot.privacy.tracker import TrackerEvents
from bot.profiles.models import (
    Address,
    Carrier,
    Customer,
    DeliveryMethod,
    EmailKind,
    Invoice,
    Order,
    OrderItem,
    OrderStatus,
    OrderStatusEvent,
    OutboxEmail,
    PaymentKind,
    PaymentMethod,
    Refund,
    RefundStatus,
    Shipment,
)
from bot.studio.inbox import ReviewGroup, ReviewItem
from tests.postgres import create_database
from tests.stored_text import tables_holding

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=timezone.utc)
CUSTOMER = "C7001"
FIRST, LAST, EMAIL, PHONE = "Zephyrine", "Quillfeather", "zq.privacy@example.org", "+1 503 555 0199"
ORDERS = (918273, 918274)
STREET = "1 Elm St"
NEEDLES = (FIRST, LAST, EMAIL, PHONE, STREET, *map(str, ORDERS))
# With the default keep-list (orders, invoices), only these tables may still name them.
KEPT_TABLES = {"orders", "order_items", "order_status_events", "shipments", "invoices"}


# --- redaction ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, masked, kinds", [
    ("my card is 4242 4242 4242 4242 exp 04/27", "my card is [card number removed] exp 04/27", ("card",)),
    ("4242-4242-4242-4242", "[card number removed]", ("card",)),
    ("amex 378282246310005 cvv 1234", "amex [card number removed] cvv [security code removed]",
     ("card", "security_code")),
    ("order 10482, card 5555555555554444", "order 10482, card [card number removed]", ("card",)),
    ("refund to DE89 3704 0044 0532 0130 00 please", "refund to [IBAN removed] please", ("iban",)),
    ("gb29nwbk60161331926819", "[IBAN removed]", ("iban",)),
    ("the security code is 321", "the security code is [security code removed]", ("security_code",)),
    ("my password is Hunter2! can you check", "my password is [password removed] can you check", ("password",)),
    ("Password: s3cr3t", "Password: [password removed]", ("password",)),
])
def test_redaction_masks_what_must_not_be_kept(text: str, masked: str, kinds: tuple[str, ...]) -> None:
    redaction = Redactor().redact(text)
    assert (redaction.text, redaction.kinds) == (masked, kinds)


@pytest.mark.parametrize("text", [
    "where is order 10482", "track 77310 please", "my email is dana@example.com, order 4821",
    "call me on +44 7700 900123", "4111 1111 1111 1112",  # fails the Luhn check
    "I paid $1234.56 on 12/03", "the last 4 digits are 4242", "I forgot my password",
    "GB29 NWBK 6016 1331 9268 18",  # fails the IBAN check
])
def test_redaction_leaves_everything_else_alone(text: str) -> None:
    assert Redactor().redact(text).text == text


def test_mask_style_and_kinds_come_from_configuration() -> None:
    assert Redactor(style="partial").redact("4242424242424242").text == "[card number ending 4242 removed]"
    assert Redactor(kinds=["password"]).redact("4242424242424242").text == "4242424242424242"
    with pytest.raises(ValueError, match="unknown redaction kinds: ssn"):
        Redactor(kinds=["ssn"])


# --- a customer with everything ------------------------------------------------------------

def tracker_table(metadata: MetaData) -> Table:
    """The columns of Rasa 3.6's SQLTrackerStore.SQLEvent."""
    return Table("events", metadata, Column("id", Integer, primary_key=True), Column("sender_id", String(255)),
                 Column("type_name", String(255)), Column("timestamp", Float), Column("intent_name", String(255)),
                 Column("action_name", String(255)), Column("data", Text))


@pytest.fixture
def tracker(request: pytest.FixtureRequest, sessions: sessionmaker[Session], tmp_path: Path) -> TrackerEvents:
    desk_url = sessions.kw["bind"].url
    url = (f"sqlite:///{tmp_path / 'tracker.db'}" if desk_url.drivername.startswith("sqlite")
           else create_database(request.getfixturevalue("postgres_url")))
    engine = create_engine(url)
    tracker_table(MetaData()).metadata.create_all(engine)
    engine.dispose()
    events = TrackerEvents(url)
    yield events
    events.dispose()


def add_tracker_events(tracker: TrackerEvents, sender_id: str, *texts: str) -> None:
    engine = create_engine(tracker.url)
    table = tracker_table(MetaData())
    with engine.begin() as connection:
        for text in texts:
            connection.execute(table.insert().values(
                sender_id=sender_id, type_name="user", timestamp=NOW.timestamp(), intent_name="track_order",
                data=json.dumps({"event": "user", "text": text, "parse_data": {"entities": [{"value": text}]}})))
    engine.dispose()


def tracker_rows(tracker: TrackerEvents) -> list[tuple[str, str]]:
    engine = create_engine(tracker.url)
    table = tracker_table(MetaData())
    with engine.connect() as connection:
        rows = [(r.sender_id, r.data) for r in connection.execute(select(table))]
    engine.dispose()
    return rows


def order(number: int, placed: datetime) -> Order:
    return Order(id=number, customer_id=CUSTOMER, status=OrderStatus.delivered, placed_at=placed,
                 delivery_method=DeliveryMethod.standard, shipping_address=f"{FIRST} {LAST}, {STREET}, Salem",
                 total_cents=4200, items=[OrderItem(sku="MUG-01", name="Mug", quantity=1, unit_price_cents=4200)],
                 status_history=[OrderStatusEvent(status=OrderStatus.placed, at=placed)],
                 shipment=Shipment(carrier=Carrier.UPS, tracking_number=f"1Z{number}", shipped_at=placed),
                 invoice=Invoice(number=f"INV-2026-{number}", issued_at=placed, total_cents=4200),
                 refunds=[Refund(amount_cents=100, status=RefundStatus.refunded, reason="late")])


def write_customer(sessions: sessionmaker[Session], tracker: TrackerEvents) -> dict[str, str]:
    """The customer, a bystander, and conversations on two channels that name the customer
    everywhere the desk keeps text: messages, analysis, handoff summary, notes, KB questions,
    the review inbox, channel contacts and deliveries, the outbox, the tracker."""
    sessions = track(sessions)
    with sessions.begin() as session:
        session.add(Agent(username="sam", display_name="Sam", password_hash="x", role=Role.agent))
        session.add(Customer(id=CUSTOMER, first_name=FIRST, last_name=LAST, email=EMAIL, phone=PHONE,
                             addresses=[Address(label="Home", line1=STREET, city="Salem", postcode="97301",
                                                country="US")],
                             payment_methods=[PaymentMethod(kind=PaymentKind.card, brand="Visa", last4="4242",
                                                            expiry="04/27")],
                             orders=[order(n, NOW - timedelta(days=40)) for n in ORDERS],
                             emails=[OutboxEmail(to_email=EMAIL, kind=EmailKind.invoice, subject="Your invoice",
                                                 body=f"Hi {FIRST}, invoice for order {ORDERS[0]}")]))
        session.add(Customer(id="C7002", first_name="Bystander", last_name="Person", email="by@example.org"))
        group = ReviewGroup(vector=b"\0" * 16)
        session.add(group)
    with sessions() as session:
        agent_id = session.scalar(select(Agent.id))
        group_id = session.scalar(select(ReviewGroup.id))
    store = ConversationStore(sessions)
    ids = {"web": store.create("web", CUSTOMER).id, "telegram": store.create("telegram").id,
           "bystander": store.create("web", "C7002").id}
    with sessions.begin() as session:
        session.get(Conversation, ids["telegram"]).contact_email = EMAIL.upper()  # left to be contacted
        session.add(ChannelContact(channel="telegram", external_id="555000111", display_name=f"{FIRST} {LAST}",
                                   conversation_id=ids["telegram"]))
    for channel, cid in ids.items():
        ours = channel != "bystander"
        said = f"hi I'm {FIRST} {LAST}, {EMAIL}, {PHONE}, where is order {ORDERS[0]}?" if ours else "where is my parcel"
        asked = store.add_customer_message(cid, said)
        store.record_bot_replies(asked, [{"text": f"Order {ORDERS[1]} for {FIRST} is on its way." if ours
                                          else "It's on its way."}], {
            "mode": "bot", "intent": {"name": "track_order", "confidence": 0.9},
            "entities": [{"entity": "email", "value": EMAIL}, {"entity": "order_id", "value": str(ORDERS[0])}]
            if ours else []})
        add_tracker_events(tracker, cid, said)
    web, telegram = ids["web"], ids["telegram"]
    with sessions.begin() as session:
        message_id = session.scalar(select(Message.id).where(Message.conversation_id == web))
        session.add(Handoff(conversation_id=web, reasons=[{"code": "asked_for_human", "detail": ""}],
                            summary={"customer": {"name": f"{FIRST} {LAST}", "email": EMAIL},
                                     "issue": f"order {ORDERS[0]} late"}))
        session.add(Note(conversation_id=web, agent_id=agent_id, text=f"{FIRST} called about {ORDERS[1]}"))
        session.add(KbQuestion(conversation_id=web, question=f"{FIRST} asks about {ORDERS[0]}", answered=True))
        session.add(ReviewItem(message_id=message_id, conversation_id=web, group_id=group_id,
                               text=f"where is order {ORDERS[0]}"))
        session.add(Delivery(conversation_id=telegram, channel="telegram", recipient="555000111",
                             payload={"text": f"Hi {FIRST}"}))
    return ids


def desk_url(sessions: sessionmaker[Session]) -> str:
    return sessions.kw["bind"].url.render_as_string(hide_password=False)


def test_after_erasure_nothing_names_the_customer_outside_the_keep_list(
        sessions: sessionmaker[Session], tracker: TrackerEvents) -> None:
    ids = write_customer(sessions, tracker)
    assert {"messages", "handoffs", "notes", "kb_questions", "review_items", "channel_contacts", "deliveries",
            "outbox_emails", "customers", "conversations", "addresses"} <= tables_holding(desk_url(sessions), *NEEDLES)
    assert tables_holding(tracker.url, *NEEDLES) == {"events"}
    with sessions() as session:
        facts_before = session.scalar(select(ConversationFacts.customer_messages)
                                      .where(ConversationFacts.conversation_id == ids["web"]))

    result = erase_customer(sessions, tracker, CUSTOMER, "ada", ["orders", "invoices"])

    assert tables_holding(desk_url(sessions), *NEEDLES) <= KEPT_TABLES
    assert not tables_holding(tracker.url, *NEEDLES)
    assert result["customer"] == "anonymised" and result["kept"] == ["invoices", "orders"]
    assert result["removed"]["conversations"] == 2 and result["removed"]["tracker_events"] == 2
    with sessions() as session:
        assert session.scalar(select(Refund.id)) is None  # refunds are not on the keep-list
        assert session.scalar(select(Order.id).where(Order.id == ORDERS[0])) == ORDERS[0]
        assert session.get(Customer, CUSTOMER).erased_at is not None
        handoff = session.scalars(select(Handoff).where(Handoff.conversation_id == ids["web"])).one()
        assert handoff.status == HandoffStatus.returned and handoff.summary == {}  # out of the queue
        assert session.get(Customer, "C7002").first_name == "Bystander"
        bystander = session.scalars(select(Message.text).where(Message.conversation_id == ids["bystander"])
                                   .order_by(Message.id)).all()
        assert bystander[0] == "where is my parcel"
        # Figures stay: the analytics facts and each message's intent.
        assert session.scalar(select(ConversationFacts.customer_messages)
                              .where(ConversationFacts.conversation_id == ids["web"])) == facts_before
        analysis = session.scalar(select(Message.analysis).where(Message.conversation_id == ids["web"],
                                                                  Message.sender == Sender.customer))
        assert analysis == {"mode": "bot", "intent": {"name": "track_order", "confidence": 0.9}}
        request = session.scalars(select(PrivacyRequest)).one()
        assert (request.kind, request.customer_id, request.requested_by) == ("erase", CUSTOMER, "ada")
        assert EMAIL not in json.dumps(request.counts) and FIRST not in json.dumps(request.counts)
    assert [sender for sender, _ in tracker_rows(tracker)] == [ids["bystander"]]


def test_erasure_with_an_empty_keep_list_deletes_the_customer_and_their_orders(
        sessions: sessionmaker[Session], tracker: TrackerEvents) -> None:
    write_customer(sessions, tracker)
    result = erase_customer(sessions, tracker, CUSTOMER, "cli", [])
    assert result["customer"] == "deleted" and result["removed"]["orders"] == 2
    assert not tables_holding(desk_url(sessions), *NEEDLES) and not tables_holding(tracker.url, *NEEDLES)
    with pytest.raises(UnknownCustomer, match="no customer C7001"):
        erase_customer(sessions, tracker, CUSTOMER, "cli", [])


def test_the_export_holds_everything_about_the_customer_and_no_secrets(
        sessions: sessionmaker[Session], tracker: TrackerEvents) -> None:
    ids = write_customer(sessions, tracker)
    document = export_customer(sessions, CUSTOMER, "ada")
    text = json.dumps(document)
    assert document["customer"]["email"] == EMAIL and document["customer"]["phone"] == PHONE
    assert document["addresses"][0]["line1"] == STREET
    assert document["payment_methods"][0]["label"] == "Visa ending 4242"
    assert [o["id"] for o in document["orders"]] == list(ORDERS)
    assert document["orders"][0]["invoice"]["number"] == f"INV-2026-{ORDERS[0]}"
    assert document["orders"][0]["refunds"][0]["reason"] == "late"
    conversations = {c["id"]: c for c in document["conversations"]}
    assert set(conversations) == {ids["web"], ids["telegram"]}  # not the bystander's
    web, telegram = conversations[ids["web"]], conversations[ids["telegram"]]
    assert [m["sender"] for m in web["messages"]] == ["customer", "bot"]
    assert web["notes"][0]["text"].startswith(FIRST) and web["kb_feedback"][0]["answered"] is True
    assert web["handoffs"][0]["summary"]["customer"]["email"] == EMAIL
    assert telegram["channel_contacts"][0]["external_id"] == "555000111"
    assert telegram["channel_deliveries"][0]["payload"] == {"text": f"Hi {FIRST}"}
    assert document["emails"][0]["subject"] == "Your invoice"
    assert "token_hash" not in text and "where is my parcel" not in text
    with sessions() as session:
        assert session.scalars(select(PrivacyRequest.kind)).all() == ["export"]


def test_retention_anonymises_exactly_what_is_older_than_the_limit(
        sessions: sessionmaker[Session], tracker: TrackerEvents) -> None:
    sessions = track(sessions)
    ages = {"old": 31, "edge": 30, "recent": 29, "revived": 45}  # days since the last message
    with sessions.begin() as session:
        for name, days in ages.items():
            started = NOW - timedelta(days=max(days, 40))
            session.add(Conversation(id=name, token_hash="x", created_at=started))
            session.add(Message(conversation_id=name, sender=Sender.customer, text=f"{name} card text",
                                created_at=started))
            session.add(Message(conversation_id=name, sender=Sender.bot, text="reply",
                                created_at=NOW - timedelta(days=days, seconds=-1 if name == "edge" else 0)))
        # A conversation started long ago, written to yesterday, is not old.
        session.add(Message(conversation_id="revived", sender=Sender.customer, text="me again",
                            created_at=NOW - timedelta(days=1)))
    for name in ages:
        add_tracker_events(tracker, name, f"{name} card text")

    result = purge(sessions, tracker, 30, "retention", now=NOW)

    assert result.counts["conversations"] == 1 and result.counts["tracker_events"] == 1
    with sessions() as session:
        texts = {c: [m for m in session.scalars(select(Message.text).where(Message.conversation_id == c))]
                 for c in ages}
        anonymised = {c.id for c in session.scalars(select(Conversation)) if c.anonymised_at is not None}
    assert anonymised == {"old"} and texts["old"] == ["", ""]
    assert texts["edge"][0] == "edge card text" and texts["revived"][-1] == "me again"
    assert sorted(sender for sender, _ in tracker_rows(tracker)) == ["edge", "recent", "revived"]
    # Run again: nothing more is due, and the request log has the one purge.
    assert not purge(sessions, tracker, 30, "retention", now=NOW).counts
    with sessions() as session:
        assert session.scalars(select(PrivacyRequest.kind)).all() == ["purge"]


def test_a_deletion_request_from_chat_is_carried_out_after_its_grace(
        sessions: sessionmaker[Session], tracker: TrackerEvents) -> None:
    write_customer(sessions, tracker)
    with sessions.begin() as session:
        session.get(Customer, CUSTOMER).deletion_requested_at = NOW - timedelta(days=13)
    assert erase_due(sessions, tracker, ["orders"], now=NOW) == []
    assert erase_due(sessions, tracker, ["orders"], now=NOW + timedelta(days=2)) == [CUSTOMER]
    with sessions() as session:
        assert session.get(Customer, CUSTOMER).email.endswith("@erased.invalid")
        assert session.scalars(select(PrivacyRequest.requested_by)).all() == ["customer (asked in chat)"]
    assert erase_due(sessions, tracker, ["orders"], now=NOW + timedelta(days=3)) == []


def test_the_access_log_names_who_opened_what(sessions: sessionmaker[Session]) -> None:
    log = AccessLog(sessions)
    log.record(Account(1, "sam", "Sam", Role.agent), "console", "conv-1", CUSTOMER)
    log.record(Account(2, "lee", "Lee", Role.lead), "analytics", "conv-2")
    assert [(e.username, e.what, e.subject, e.via) for e in log.read()] == [
        ("lee", "conversation", "conv-2", "analytics"), ("sam", "profile", CUSTOMER, "console"),
        ("sam", "conversation", "conv-1", "console")]
    assert [e.subject for e in log.read(subject=CUSTOMER)] == [CUSTOMER]
    assert [e.subject for e in log.read(username="lee")] == ["conv-2"]


def test_a_tracker_store_not_created_yet_holds_nothing(tmp_path: Path) -> None:
    assert TrackerEvents(f"sqlite:///{tmp_path / 'none.db'}").delete(["a"]) == 0
    assert not (tmp_path / "none.db").exists()
    assert TrackerEvents(None).delete(["a"]) == 0


def test_settings_refuse_keeping_invoices_without_their_orders() -> None:
    from bot.settings import Settings

    with pytest.raises(ValueError, match="keep orders too"):
        Settings(privacy_erasure_keeps=["invoices"])


def test_the_desks_daily_job_purges_on_its_own(sessions: sessionmaker[Session], tracker: TrackerEvents) -> None:
    with sessions.begin() as session:
        long_ago = datetime.now(timezone.utc) - timedelta(days=400)
        session.add(Conversation(id="ancient", token_hash="x", created_at=long_ago))
        session.add(Message(conversation_id="ancient", sender=Sender.customer, text="old words", created_at=long_ago))

    def purged() -> bool:
        with sessions() as session:
            counts = session.scalar(select(PrivacyRequest.counts))
        return counts is not None and "tracker_events" in counts

    async def run_once() -> None:
        job = RetentionJob(sessions, tracker, 365, LocalLocks(), [], first_after_s=0, every_s=3600)
        job.start()
        for _ in range(100):
            await asyncio.sleep(0.05)
            if purged():
                break
        await job.stop()

    asyncio.run(run_once())
    with sessions() as session:
        assert session.scalar(select(Message.text).where(Message.conversation_id == "ancient")) == ""
        assert session.scalars(select(PrivacyRequest.requested_by)).all() == ["retention"]
