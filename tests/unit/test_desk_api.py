"""The desk's own behaviour, with Rasa unreachable: validation, access, and storing first."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.websockets import WebSocketDisconnect

from bot.db import make_engine, make_session_factory
from bot.desk.app import create_app
from bot.desk.models import Message
from bot.launcher import free_port
from bot.privacy.scrub import anonymise_conversations
from bot.settings import Settings


@pytest.fixture
def client(desk_db_url):
    settings = Settings(database_url=desk_db_url, rasa_url=f"http://127.0.0.1:{free_port()}",
                        rasa_timeout_s=2)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def conversation(client):
    created = client.post("/api/conversations").json()
    return created["id"], {"X-Conversation-Token": created["token"]}


def transcript(client, conversation):
    conversation_id, headers = conversation
    response = client.get(f"/api/conversations/{conversation_id}/messages", headers=headers)
    assert response.status_code == 200
    return response.json()["messages"]


def test_message_is_stored_even_when_the_bot_is_down(client, conversation):
    conversation_id, headers = conversation
    response = client.post(f"/api/conversations/{conversation_id}/messages",
                           json={"text": "where is my order 10482"}, headers=headers)
    assert response.status_code == 503
    assert "your message was saved" in response.json()["error"]
    [stored] = transcript(client, conversation)
    assert stored["text"] == "where is my order 10482"
    assert stored["sender"] == "customer" and stored["status"] == "failed"


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [({"text": ""}, 422, "message text is empty"),
     ({"text": "   \n "}, 422, "message text is empty"),
     ({"text": "x" * 4001}, 422, "longer than 4000 characters"),
     ({"message": "hi"}, 422, "expected shape"),
     ({"text": 5}, 422, "expected shape")],
)
def test_bad_messages_get_a_clear_error_and_store_nothing(client, conversation, body, status, error):
    conversation_id, headers = conversation
    response = client.post(f"/api/conversations/{conversation_id}/messages", json=body,
                           headers=headers)
    assert response.status_code == status
    assert error in response.json()["error"]
    assert transcript(client, conversation) == []


def test_malformed_json_is_a_400(client, conversation):
    conversation_id, headers = conversation
    response = client.post(f"/api/conversations/{conversation_id}/messages", content=b'{"text": ',
                           headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] == "request body is not valid JSON"
    assert transcript(client, conversation) == []


def test_a_message_of_exactly_the_limit_is_accepted(client, conversation):
    conversation_id, headers = conversation
    response = client.post(f"/api/conversations/{conversation_id}/messages",
                           json={"text": "y" * 4000}, headers=headers)
    assert response.status_code == 503  # accepted and stored; only the bot is missing
    assert len(transcript(client, conversation)) == 1


def test_unknown_conversations_and_wrong_tokens_look_the_same(client, conversation):
    conversation_id, headers = conversation
    unknown = client.get("/api/conversations/does-not-exist/messages", headers=headers)
    wrong_token = client.get(f"/api/conversations/{conversation_id}/messages",
                             headers={"X-Conversation-Token": "guess"})
    no_token = client.post(f"/api/conversations/{conversation_id}/messages", json={"text": "hi"})
    for response in (unknown, wrong_token, no_token):
        assert response.status_code == 404
        assert response.json() == {"error": "conversation not found"}
    assert transcript(client, conversation) == []


def test_websocket_rejects_a_wrong_token(client, conversation):
    conversation_id, _ = conversation
    with client.websocket_connect(f"/ws/conversations/{conversation_id}?token=guess") as ws:
        assert ws.receive_json() == {"type": "error", "error": "conversation not found"}


def test_websocket_reports_bad_frames_and_keeps_the_connection(client, conversation):
    conversation_id, headers = conversation
    token = headers["X-Conversation-Token"]
    with client.websocket_connect(f"/ws/conversations/{conversation_id}?token={token}") as ws:
        ws.send_text("not json")
        assert ws.receive_json()["type"] == "error"
        ws.send_json({"text": ""})
        assert ws.receive_json() == {"type": "error", "error": "message text is empty"}
        ws.send_json({"text": "hello"})
        ack = ws.receive_json()
        assert ack["type"] == "ack" and ack["message"]["status"] == "failed"
        assert "your message was saved" in ws.receive_json()["error"]
    assert [m["text"] for m in transcript(client, conversation)] == ["hello"]


def anonymise(desk_db_url, conversation_id):
    """What retention or an erasure does, from another process's point of view."""
    engine = make_engine(desk_db_url)
    with make_session_factory(engine).begin() as session:
        anonymise_conversations(session, [conversation_id])
    engine.dispose()


def stored_messages(desk_db_url, conversation_id):
    engine = make_engine(desk_db_url)
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(Message)
                                   .where(Message.conversation_id == conversation_id)).scalar_one()
    engine.dispose()
    return count


def test_a_token_opens_nothing_once_its_conversation_is_anonymised(client, conversation, desk_db_url):
    """The desk remembers the conversations it opened (no database trip per token check);
    what a token opens is checked again when the message is stored."""
    conversation_id, headers = conversation
    assert transcript(client, conversation) == []
    anonymise(desk_db_url, conversation_id)
    response = client.post(f"/api/conversations/{conversation_id}/messages",
                           json={"text": "my card is 4111 1111 1111 1111"}, headers=headers)
    assert response.status_code == 404 and response.json() == {"error": "conversation not found"}
    assert stored_messages(desk_db_url, conversation_id) == 0
    assert client.get(f"/api/conversations/{conversation_id}/messages", headers=headers).status_code == 404


def test_an_open_socket_stores_nothing_once_its_conversation_is_anonymised(client, conversation, desk_db_url):
    conversation_id, headers = conversation
    token = headers["X-Conversation-Token"]
    with client.websocket_connect(f"/ws/conversations/{conversation_id}?token={token}") as ws:
        anonymise(desk_db_url, conversation_id)
        ws.send_json({"text": "hello again"})
        assert ws.receive_json() == {"type": "error", "error": "conversation not found"}
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4404
    assert stored_messages(desk_db_url, conversation_id) == 0


def test_the_store_page_loads_the_widget(client):
    page = client.get("/")
    assert page.status_code == 200 and "/static/widget.js" in page.text
    assert client.get("/static/widget.js").status_code == 200
