"""Property-based fuzzing (Hypothesis) of every public endpoint on the real stack: random and
malformed JSON, wrong types, huge and empty fields, invalid UTF-8, unknown ids, widget socket
frames, and signed webhook calls with random contents. Never a 5xx, every refusal a JSON
error that says what is wrong, and nothing stored for a refused request."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from websockets.sync.client import connect

from bot.db import make_engine, make_session_factory
from bot.desk.models import Message
from tests.fakes.customers import MetaCustomer, SlackCustomer, TwilioCustomer
from tests.fakes.providers import SECRETS, TELEGRAM_SECRET

pytestmark = pytest.mark.integration
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=50)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)
texts = st.text(max_size=200) | st.sampled_from(["", " ", "\x00", "\u202e\u0000\x1b", "x" * 4001, "x" * 200_000])
message_bodies = (st.fixed_dictionaries({"text": texts}) | st.fixed_dictionaries({"text": json_values})
                  | json_values)
raw_bodies = (st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode())
              | st.sampled_from([b"NaN", b"[Infinity]", b"{\"text\": -Infinity}", b"{" * 10_000]))


def shaped(template: dict) -> st.SearchStrategy:
    """Dicts with some of the template's keys, each holding its sub-shape, the template's
    strategy, or any JSON value at all (a field of the wrong type)."""
    def value(leaf):  # noqa: ANN001, ANN202
        if isinstance(leaf, dict):
            return shaped(leaf) | json_values
        return (leaf | json_values) if leaf is not None else json_values
    return st.fixed_dictionaries({}, optional={key: value(leaf) for key, leaf in template.items()})


ids = st.integers(1, 10**6) | st.text(min_size=1, max_size=140)
TELEGRAM = {"message": {"message_id": ids, "text": texts, "chat": {"id": ids, "type": st.just("private")},
                        "from": {"id": ids, "first_name": texts}, "photo": None},
            "callback_query": {"id": ids, "data": texts, "from": {"id": ids}, "message": {"chat": {"id": ids}}}}
SLACK = {"type": st.sampled_from(["event_callback", "url_verification"]), "event_id": ids, "challenge": None,
         "event": {"type": st.just("message"), "channel": ids, "user": ids, "text": texts, "subtype": None}}
META = {"object": st.sampled_from(["page", "whatsapp_business_account"]), "entry": st.lists(shaped({
    "messaging": st.lists(shaped({"sender": shaped({"id": ids}), "message": shaped({
        "mid": ids, "text": texts, "quick_reply": shaped({"payload": texts})}),
        "postback": shaped({"payload": texts, "mid": ids})}), max_size=2),
    "changes": st.lists(shaped({"value": shaped({
        "metadata": shaped({"phone_number_id": ids}),
        "messages": st.lists(shaped({"from": ids, "id": ids, "type": st.sampled_from(["text", "image", "interactive"]),
                                     "text": shaped({"body": texts})}), max_size=2)})}), max_size=2)}), max_size=2)}


def stored_count(stack) -> int:  # noqa: ANN001
    engine = make_engine(stack.database_url)
    try:
        with make_session_factory(engine)() as session:
            return session.scalar(select(func.count()).select_from(Message))
    finally:
        engine.dispose()


def refused_clearly(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400:
        error = response.json()["error"]
        assert isinstance(error, str) and error


@pytest.fixture(scope="module")
def desk(channels) -> httpx.Client:
    return httpx.Client(base_url=channels.stack.desk_url, timeout=60)


@pytest.fixture(scope="module")
def conversation(desk) -> tuple[str, dict[str, str]]:
    created = desk.post("/api/conversations").json()
    return created["id"], {"X-Conversation-Token": created["token"]}


@FUZZ
@given(body=raw_bodies)
def test_starting_a_conversation(desk, body):
    response = desk.post("/api/conversations", content=body, headers={"Content-Type": "application/json"})
    refused_clearly(response)


@FUZZ
@given(body=message_bodies)
def test_posting_a_message(channels, desk, conversation, body):
    conversation_id, headers = conversation
    before = stored_count(channels.stack)
    response = desk.post(f"/api/conversations/{conversation_id}/messages", json=body, headers=headers)
    refused_clearly(response)
    if response.status_code != 200:
        assert stored_count(channels.stack) == before


@FUZZ
@given(body=st.binary(max_size=300))
def test_posting_bytes_that_are_not_json(channels, desk, conversation, body):
    conversation_id, headers = conversation
    before = stored_count(channels.stack)
    response = desk.post(f"/api/conversations/{conversation_id}/messages", content=body,
                         headers={**headers, "Content-Type": "application/json"})
    refused_clearly(response)
    if response.status_code != 200:
        assert stored_count(channels.stack) == before


@FUZZ
@given(conversation_id=st.text(min_size=1, max_size=80).filter(lambda s: "/" not in s and s not in (".", "..")),
       token=st.from_regex(r"[!-~]{0,80}", fullmatch=True))  # what an HTTP header can carry
def test_unknown_conversations_and_tokens(desk, conversation_id, token):
    path = f"/api/conversations/{quote(conversation_id, safe='')}/messages"
    for response in (desk.get(path, headers={"X-Conversation-Token": token}),
                     desk.post(path, json={"text": "hi"}, headers={"X-Conversation-Token": token})):
        refused_clearly(response)
        assert response.status_code in (404, 422)


@FUZZ
@given(frames=st.lists(st.text(max_size=100) | json_values.map(json.dumps), min_size=1, max_size=4))
def test_widget_socket_frames(channels, conversation, frames):
    conversation_id, headers = conversation
    url = channels.stack.desk_url.replace("http://", "ws://")
    with connect(f"{url}/ws/conversations/{conversation_id}?token={headers['X-Conversation-Token']}") as socket:
        for frame in frames:
            socket.send(frame)
            while (answer := json.loads(socket.recv(timeout=60)))["type"] in ("queue", "message"):
                pass  # sent unasked (the queue moved, a reply to an earlier frame)
            assert answer["type"] in ("ack", "error"), answer
            if answer["type"] == "error":
                assert answer["error"]


@FUZZ
@given(body=raw_bodies | st.builds(lambda n, u: json.dumps({"update_id": n, **u}).encode(),
                                   st.integers(1, 10**9), shaped(TELEGRAM)))
def test_signed_telegram_updates(desk, body):
    refused_clearly(desk.post("/webhooks/telegram", content=body, headers={
        "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}))


@FUZZ
@given(body=raw_bodies | shaped(SLACK).map(lambda v: json.dumps(v).encode()), interactive=st.booleans())
def test_signed_slack_calls(channels, desk, body, interactive):
    signer = SlackCustomer(channels.stack.desk_url, channels.slack, SECRETS, "DFUZZ")
    if interactive:
        body = urlencode({"payload": body.decode(errors="replace")}).encode()
        headers = signer._signed(body, "application/x-www-form-urlencoded")
        path = "/webhooks/slack/interactivity"
    else:
        headers, path = signer._signed(body, "application/json"), "/webhooks/slack/events"
    refused_clearly(desk.post(path, content=body, headers=headers))


@FUZZ
@given(form=st.dictionaries(st.sampled_from(["From", "To", "Body", "MessageSid", "NumMedia", "WaId", "ProfileName",
                                             "Other"]), st.text(max_size=40), max_size=7))
def test_signed_twilio_forms(channels, desk, form):
    from bot.channels.twilio import PATH, signature

    signer = TwilioCustomer(channels.stack.desk_url, channels.twilio, SECRETS, "+15550000000")
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Twilio-Signature": signature(signer.secrets.twilio, SECRETS.public_url + PATH, form)}
    refused_clearly(desk.post(PATH, content=urlencode(form).encode(), headers=headers))


@FUZZ
@given(envelope=json_values | shaped(META))
def test_signed_meta_calls(channels, desk, envelope):
    signer = MetaCustomer(channels.stack.desk_url, channels.meta, SECRETS, "PSIDFUZZ")
    refused_clearly(signer.post(signer._signed(envelope)))
