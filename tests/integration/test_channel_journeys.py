"""The same customer journeys and faults on every messaging channel, through the real stack
(Rasa, action server, desk) and fake providers on loopback: a customer verifies, gets their
order, presses a button, reaches a person who answers from the console; redelivered events,
a provider failing and a desk restart cost no reply and send none twice."""

from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy import case, func, select

from bot.channels.models import ChannelContact, Delivery, DeliveryStatus
from bot.db import make_engine, make_session_factory
from tests.fakes.customers import ChannelCustomer
from tests.fakes.providers import CHANNELS
from tests.integration.conftest import Channels

pytestmark = pytest.mark.integration
JOINED = "Alex Rivera from our team has joined the conversation."


@pytest.fixture(params=CHANNELS)
def customer(request: pytest.FixtureRequest, channels: Channels) -> ChannelCustomer:
    return channels.customer(request.param)


def query(channels: Channels, statement):  # noqa: ANN001, ANN201
    engine = make_engine(channels.stack.database_url)
    try:
        with make_session_factory(engine)() as session:
            return session.execute(statement).all()
    finally:
        engine.dispose()


def conversation_of(channels: Channels, customer: ChannelCustomer) -> str:
    rows = query(channels, select(ChannelContact.conversation_id).where(
        ChannelContact.channel == customer.channel, ChannelContact.external_id == customer.user))
    assert rows, f"no conversation for {customer.channel} {customer.user}"
    return rows[0][0]


def agent(channels: Channels) -> tuple[httpx.Client, dict[str, str]]:
    client = httpx.Client(base_url=channels.stack.desk_url, timeout=30)
    login = client.post("/api/console/login", json={"username": "alex", "password": "harbor-agent-1"})
    return client, {"X-CSRF-Token": login.json()["csrf_token"]}


def test_verify_order_button_person_and_the_agents_reply(channels, customer):
    assert customer.say("where is my order?").status_code == 200
    customer.wait_for("e-mail address")
    customer.say("maya.chen@example.com")
    customer.wait_for("number of one of your orders")
    seen = len(customer.received())
    customer.say("10482")
    customer.wait_for("Order #10482", after=seen)

    customer.say("the parcel arrived damaged and I am really unhappy about it")
    offer = customer.wait_for("Shall I connect you with a person?")[-1]
    assert offer.options == ["Yes, please", "No, thanks"]
    seen = len(customer.received())
    assert customer.press("Yes, please").status_code == 200
    customer.wait_for("member of our team", after=seen)

    console, csrf = agent(channels)
    conversation_id = conversation_of(channels, customer)
    view = console.get(f"/api/console/conversations/{conversation_id}").json()
    assert view["channel"] == customer.channel
    assert view["messaging"]["channel"] == customer.channel and view["messaging"]["undelivered"] == []
    assert view["profile"]["id"] == "C1001"  # verified in the chat: the contact is Maya
    handoff = next(i for i in console.get("/api/console/queue").json()["items"]
                   if i["conversation_id"] == conversation_id)
    console.post(f"/api/console/handoffs/{handoff['handoff_id']}/claim", headers=csrf).raise_for_status()
    console.post(f"/api/console/conversations/{conversation_id}/messages", headers=csrf,
                 json={"text": "Hi Maya, Alex here. Sorry about the parcel, let me sort it out."}).raise_for_status()
    texts = [r.text for r in customer.wait_for("Alex here")]
    assert texts.count(JOINED) == 1 and texts.index(JOINED) < len(texts) - 1
    assert texts[-1] == "Hi Maya, Alex here. Sorry about the parcel, let me sort it out."


def test_the_same_event_delivered_twice_gets_one_reply(customer):
    call = customer.event("hi")
    assert customer.post(call).status_code == 200
    assert customer.post(call).status_code == 200
    customer.wait(1)
    time.sleep(1.5)
    assert len(customer.received()) == 1


def test_a_provider_failing_twice_then_taking_the_reply_delivers_each_once_in_order(channels, customer):
    customer.fake.fail(2, status=500)
    refused = customer.fake.refused
    customer.say("which payment methods do you accept")
    received = customer.wait(2)
    assert "PayPal" in received[0].text and received[1].text.startswith("Did that answer your question?")
    time.sleep(1.5)
    assert len(customer.received()) == 2
    assert customer.fake.refused == refused + 2


def test_deliveries_pending_when_the_desk_restarts_go_out_once_after_it(channels):
    customers = [channels.customer(name) for name in CHANNELS]
    fakes = {id(c.fake): c.fake for c in customers}.values()
    for fake in fakes:
        fake.down = True
    try:
        for customer in customers:
            assert customer.say("which payment methods do you accept").status_code == 200
        ids = [conversation_of(channels, c) for c in customers]
        pending = select(func.count(), func.sum(case((Delivery.attempts > 0, 1), else_=0))).where(
            Delivery.conversation_id.in_(ids), Delivery.status == DeliveryStatus.pending)
        deadline = time.monotonic() + 30
        while tuple(query(channels, pending)[0]) != (2 * len(customers), len(customers)):  # each first tried
            assert time.monotonic() < deadline, "the replies were never tried"
            time.sleep(0.2)
        assert all(c.received() == [] for c in customers)
        channels.stack.restart("desk")
    finally:
        for fake in fakes:
            fake.down = False
    for customer in customers:
        received = customer.wait(2, timeout_s=60)
        assert "PayPal" in received[0].text and received[1].text.startswith("Did that answer your question?")
    time.sleep(1.5)
    assert [len(c.received()) for c in customers] == [2] * len(customers)
