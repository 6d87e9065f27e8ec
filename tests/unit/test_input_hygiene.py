"""What a customer types is stored clean on every database (PostgreSQL refuses NUL), and a
body too large is refused before it is read, with nothing stored."""

import pytest
from fastapi.testclient import TestClient

from bot.desk.app import create_app
from bot.serving import free_port
from bot.settings import Settings
from bot.text import clean


@pytest.fixture
def client(database_url):
    settings = Settings(database_url=database_url, rasa_url=f"http://127.0.0.1:{free_port()}", rasa_timeout_s=1,
                        max_body_bytes=100_000)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def start(client):
    created = client.post("/api/conversations").json()
    return created["id"], {"X-Conversation-Token": created["token"]}


def stored(client, conversation) -> list[str]:
    conversation_id, headers = conversation
    return [m["text"] for m in client.get(f"/api/conversations/{conversation_id}/messages",
                                          headers=headers).json()["messages"]]


@pytest.mark.parametrize(("sent", "kept"), [
    ("where\x00 is my order", "where is my order"),
    ("beep\x07\x1b[31m red", "beep[31m red"),
    ("line one\r\nline two\tend", "line one\nline two\tend"),
    ("cafe\u0301 au lait", "caf\u00e9 au lait"),
])
def test_control_characters_are_dropped_and_unicode_normalised_before_storage(client, sent, kept):
    conversation = start(client)
    response = client.post(f"/api/conversations/{conversation[0]}/messages", json={"text": sent},
                           headers=conversation[1])
    assert response.status_code == 503  # Rasa is down here; the message is stored all the same
    assert stored(client, conversation) == [kept]


def test_a_lone_surrogate_sent_as_a_json_escape_is_replaced(client):
    conversation = start(client)
    client.post(f"/api/conversations/{conversation[0]}/messages", content=b'{"text": "half \\ud83d a smiley"}',
                headers={**conversation[1], "Content-Type": "application/json"})
    assert stored(client, conversation) == ["half \ufffd a smiley"]


def test_a_message_of_nothing_but_control_characters_is_refused(client):
    conversation = start(client)
    response = client.post(f"/api/conversations/{conversation[0]}/messages", json={"text": "\x00\x01\x02"},
                           headers=conversation[1])
    assert response.status_code == 422 and response.json()["error"] == "message text is empty"
    assert stored(client, conversation) == []


def test_a_conversation_id_with_a_nul_is_just_unknown(client):
    # Found by the fuzz test on the production profile: PostgreSQL refused the lookup (a 500).
    for response in (client.get("/api/conversations/a%00b/messages", headers={"X-Conversation-Token": "x"}),
                     client.post("/api/conversations/%00/messages", json={"text": "hi"},
                                 headers={"X-Conversation-Token": "x"})):
        assert response.status_code == 404, response.text


def test_a_body_over_the_limit_is_refused_unread(client):
    conversation = start(client)
    path = f"/api/conversations/{conversation[0]}/messages"
    response = client.post(path, content=b'{"text": "' + b"x" * 200_000 + b'"}',
                           headers={**conversation[1], "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {"error": "request body is larger than 100000 bytes"}

    def chunks():  # no Content-Length: counted as it streams
        yield b'{"text": "'
        for _ in range(40):
            yield b"x" * 10_000
        yield b'"}'

    response = client.post(path, content=chunks(), headers={**conversation[1], "Content-Type": "application/json"})
    assert response.status_code == 413, response.text
    assert stored(client, conversation) == []


def test_clean_keeps_what_customers_write():
    text = "Hi! Order #10482 😡👍🏽 — café, naïve, 日本語\n\tthanks"
    assert clean(text) == text
