"""Who can reach which console endpoint: nothing works without a login, agents cannot reach
editor or admin endpoints, and no change goes through without the session's CSRF token."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bot.db import make_engine, make_session_factory
from bot.desk.app import create_app
from bot.desk.conversations import ConversationStore
from bot.desk.handoffs import HandoffStore
from bot.launcher import free_port
from bot.settings import Settings
from tests.databases import Prepare, demo_accounts

ENDPOINTS = [
    ("GET", "/api/console/me"), ("GET", "/api/console/queue"),
    ("GET", "/api/console/conversations/{cid}"), ("GET", "/api/console/conversations/{cid}/handoff"),
    ("POST", "/api/console/handoffs/{hid}/claim"), ("POST", "/api/console/conversations/{cid}/messages"),
    ("POST", "/api/console/conversations/{cid}/notes"), ("POST", "/api/console/conversations/{cid}/resolve"),
    ("POST", "/api/console/conversations/{cid}/hand-back"), ("POST", "/api/console/logout"),
    ("GET", "/api/editor/kb/questions"), ("GET", "/api/admin/accounts"), ("POST", "/api/admin/accounts"),
]
EDITOR_OR_ADMIN = [("GET", "/api/editor/kb/questions"), ("GET", "/api/admin/accounts"),
                   ("POST", "/api/admin/accounts")]


@pytest.fixture
def prepare_database() -> Prepare:
    return demo_accounts


@pytest.fixture
def desk(desk_db_url):
    settings = Settings(database_url=desk_db_url, rasa_url=f"http://127.0.0.1:{free_port()}",
                        rasa_timeout_s=2, session_secret="s" * 64)
    app = create_app(settings)
    sessions = make_session_factory(make_engine(desk_db_url))
    conversation_id = ConversationStore(sessions).create().id
    handoff = HandoffStore(sessions).escalate(conversation_id, 1.0, [], {"issue": "Where is my parcel?"})
    with TestClient(app) as client:
        yield client, {"cid": conversation_id, "hid": handoff.id}


def login(client, username, password):
    response = client.post("/api/console/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


def call(client, method, path, ids, headers=None):
    body = {"text": "hello", "username": "x", "display_name": "x", "password": "x", "role": "agent"}
    return client.request(method, path.format(**ids), headers=headers or {},
                          json=body if method == "POST" else None)


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_no_endpoint_works_without_login(desk, method, path):
    client, ids = desk
    response = call(client, method, path, ids)
    assert response.status_code == 401
    assert response.json()["error"] == "log in first"


def test_the_console_socket_refuses_a_visitor(desk):
    client, _ = desk
    with client.websocket_connect("/ws/console") as socket:
        with pytest.raises(Exception) as closed:
            socket.receive_json()
    assert getattr(closed.value, "code", None) == 4401


def test_the_console_socket_refuses_another_sites_page(desk):
    """A logged-in agent's browser on another site must not open the queue with their cookie."""
    client, _ = desk
    login(client, "alex", "harbor-agent-1")
    with client.websocket_connect("/ws/console", headers={"origin": "https://evil.example"}) as socket:
        with pytest.raises(Exception) as closed:
            socket.receive_json()
    assert getattr(closed.value, "code", None) == 4401
    with client.websocket_connect("/ws/console", headers={"origin": "http://testserver"}) as socket:
        assert socket.receive_json()["type"] == "queue"


def test_a_wrong_password_is_refused_and_sets_no_session(desk):
    client, ids = desk
    response = client.post("/api/console/login", json={"username": "alex", "password": "wrong-password"})
    assert response.status_code == 401
    assert client.get("/api/console/queue").status_code == 401


def test_guessing_passwords_is_throttled(desk):
    client, _ = desk
    statuses = [client.post("/api/console/login", json={"username": "alex", "password": f"guess-{i}"}).status_code
                for i in range(11)]
    assert statuses == [401] * 10 + [429]
    response = client.post("/api/console/login", json={"username": "alex", "password": "harbor-agent-1"})
    assert response.status_code == 429 and "too many login attempts" in response.json()["error"]


@pytest.mark.parametrize(("method", "path"), EDITOR_OR_ADMIN)
def test_an_agent_cannot_reach_editor_or_admin_endpoints(desk, method, path):
    client, ids = desk
    headers = login(client, "alex", "harbor-agent-1")
    response = call(client, method, path, ids, headers)
    assert response.status_code == 403
    assert "agent account cannot" in response.json()["error"]


def test_an_editor_cannot_work_the_queue_or_manage_accounts(desk):
    client, ids = desk
    headers = login(client, "erin", "harbor-editor-1")
    assert client.get("/api/editor/kb/questions").status_code == 200
    assert client.get("/api/console/queue").status_code == 403
    assert call(client, "POST", "/api/console/handoffs/{hid}/claim", ids, headers).status_code == 403
    assert client.get("/api/admin/accounts").status_code == 403


def test_changes_need_the_csrf_token(desk):
    client, ids = desk
    headers = login(client, "alex", "harbor-agent-1")
    assert client.post(f"/api/console/handoffs/{ids['hid']}/claim").status_code == 403
    assert client.post(f"/api/console/handoffs/{ids['hid']}/claim",
                       headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.post(f"/api/console/handoffs/{ids['hid']}/claim", headers=headers).status_code == 200


def test_an_admin_adds_an_account_that_can_then_log_in(desk):
    client, _ = desk
    headers = login(client, "ada", "harbor-admin-1")
    created = client.post("/api/admin/accounts", headers=headers, json={
        "username": "kim", "display_name": "Kim Lee", "password": "a long enough secret", "role": "agent"})
    assert created.status_code == 201
    client.cookies.clear()
    login(client, "kim", "a long enough secret")
    assert client.get("/api/console/me").json()["display_name"] == "Kim Lee"


def test_logging_out_ends_the_session(desk):
    client, _ = desk
    headers = login(client, "alex", "harbor-agent-1")
    assert client.post("/api/console/logout", headers=headers).status_code == 204
    assert client.get("/api/console/queue").status_code == 401


def test_the_agent_sees_the_queue_and_the_summary(desk):
    client, ids = desk
    login(client, "alex", "harbor-agent-1")
    [item] = client.get("/api/console/queue").json()["items"]
    assert (item["conversation_id"], item["issue"], item["status"]) == (ids["cid"], "Where is my parcel?", "queued")
    view = client.get(f"/api/console/conversations/{ids['cid']}").json()
    assert view["summary"]["issue"] == "Where is my parcel?" and view["mode"] == "human"
