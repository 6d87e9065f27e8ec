"""Limits on how fast one client opens conversations and sends messages and a provider calls
a webhook: over a limit, a 429 with Retry-After and nothing stored; in Redis, the count is
shared by every desk process."""

import pytest
from fastapi.testclient import TestClient

from bot.datastores import RedisServer
from bot.desk.app import create_app
from bot.serving import free_port
from bot.settings import Settings


def make_client(tmp_path, **limits) -> TestClient:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'desk.db'}",
                        rasa_url=f"http://127.0.0.1:{free_port()}", rasa_timeout_s=1, **limits)
    return TestClient(create_app(settings))


def start(client):
    created = client.post("/api/conversations").json()
    return created["id"], {"X-Conversation-Token": created["token"]}


def test_opening_conversations_too_fast_gets_a_429_with_retry_after(tmp_path):
    with make_client(tmp_path, rate_conversations_per_address="3/minute") as client:
        assert [client.post("/api/conversations").status_code for _ in range(3)] == [201] * 3
        refused = client.post("/api/conversations")
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.json()["error"].startswith("too many new conversations")
        assert "id" not in refused.json()


def test_messages_over_the_limit_are_refused_and_not_stored(tmp_path):
    with make_client(tmp_path, rate_messages_per_conversation="2/minute") as client:
        conversation_id, headers = start(client)
        path = f"/api/conversations/{conversation_id}/messages"
        statuses = [client.post(path, json={"text": f"message {n}"}, headers=headers).status_code
                    for n in range(3)]
        assert statuses == [503, 503, 429]  # Rasa is down here: the first two are stored all the same
        texts = [m["text"] for m in client.get(path, headers=headers).json()["messages"]]
        assert texts == ["message 0", "message 1"]


def test_the_widget_socket_says_so_calmly_and_stores_nothing(tmp_path):
    with make_client(tmp_path, rate_messages_per_conversation="1/minute") as client:
        conversation_id, headers = start(client)
        with client.websocket_connect(f"/ws/conversations/{conversation_id}?token={headers['X-Conversation-Token']}") as ws:
            ws.send_json({"text": "first"})
            assert ws.receive_json()["type"] == "ack"
            ws.receive_json()  # the bot is down here: an error frame after the ack
            ws.send_json({"text": "second"})
            frame = ws.receive_json()
        assert frame["type"] == "error" and frame["code"] == "rate_limited" and frame["retry_after_s"] >= 1
        texts = [m["text"] for m in client.get(f"/api/conversations/{conversation_id}/messages",
                                               headers=headers).json()["messages"]]
        assert texts == ["first"]


def test_one_conversations_limit_does_not_hold_up_another(tmp_path):
    with make_client(tmp_path, rate_messages_per_conversation="1/minute") as client:
        first, second = start(client), start(client)
        for conversation_id, headers in (first, second):
            response = client.post(f"/api/conversations/{conversation_id}/messages", json={"text": "hi"},
                                   headers=headers)
            assert response.status_code == 503  # taken (and stored); only Rasa is missing


def test_webhook_floods_are_cut_off_per_channel(tmp_path):
    with make_client(tmp_path, rate_webhooks_per_channel="2/minute") as client:
        assert [client.post("/webhooks/telegram", json={}).status_code for _ in range(2)] == [404, 404]
        assert client.post("/webhooks/telegram", json={}).status_code == 429
        assert client.post("/webhooks/slack/events", json={}).status_code == 404  # its own count


@pytest.mark.redis
def test_in_redis_the_count_is_shared_by_every_desk_process(tmp_path, redis_url):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    limits = {"rate_conversations_per_address": "2/minute", "redis_url": redis_url}
    with make_client(tmp_path / "a", **limits) as one, make_client(tmp_path / "b", **limits) as other:
        assert one.post("/api/conversations").status_code == 201
        assert other.post("/api/conversations").status_code == 201
        assert one.post("/api/conversations").status_code == 429
        assert other.post("/api/conversations").status_code == 429


def test_with_redis_gone_a_message_is_still_stored_and_waits_for_recovery(tmp_path, caplog):
    """Redis stops under a running desk. Rate limits let the message through and the
    conversation lock cannot be taken, so the message is kept (failed, so recovery answers it
    once Redis is back) and the customer is told."""
    redis = RedisServer(tmp_path / "redis")
    redis.start(durable=False)
    try:
        with make_client(tmp_path, redis_url=redis.url, metrics_token="scrape") as client:
            conversation, headers = start(client)
            redis.stop()
            response = client.post(f"/api/conversations/{conversation}/messages", json={"text": "hello?"},
                                   headers=headers)
            assert response.status_code == 503 and response.json()["code"] == "bot_unavailable"
            stored = client.get(f"/api/conversations/{conversation}/messages", headers=headers).json()["messages"]
            assert [(m["text"], m["status"]) for m in stored] == [("hello?", "failed")]
            metrics = client.get("/metrics", headers={"Authorization": "Bearer scrape"}).text
    finally:
        redis.stop()
    assert 'harbor_bot_unavailable_total{cause="locks"} 1.0' in metrics
    assert "rate limits are off: their storage is unreachable" in caplog.text
