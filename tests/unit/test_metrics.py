"""The operators' GET /metrics: Prometheus text that its own parser reads, with the turn's
stages timed, the queue, agents and Rasa read at the scrape, and access by token or loopback.
A fake Rasa answers the desk's turns (the real processes: tests/integration)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from bot.channels.outbox import Outbox, OutboxWorker, SendFailed
from bot.desk.app import create_app
from bot.desk.conversations import ConversationStore
from bot.desk.metrics import DeskMetrics
from bot.serving import free_port
from bot.settings import Settings

TOKEN = "scrape-me-" + "x" * 32
CALM = {"negative": 0.05, "neutral": 0.9, "positive": 0.05, "anger": 0.01}


class FakeRasa:
    """Rasa's desk channel, root and tracker API: "agent" gets action_handoff's marker."""

    def __init__(self) -> None:
        self.port = free_port()

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, body: object) -> None:
                raw = json.dumps(body).encode() if not isinstance(body, str) else body.encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                self._answer("Hello from Rasa: 3.6.21" if self.path == "/" else {"events": [], "slots": {}})

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                if not self.path.startswith("/webhooks/desk/webhook"):
                    self._answer({})
                    return
                wants_person = body.get("message") == "agent"
                intent = "human_handoff" if wants_person else "greet"
                replies = ([{"text": "Let me bring in a person."},
                            {"custom": {"handoff": {"reason": "customer_request"}}}]
                           if wants_person else [{"text": "Hi! How can I help?"}])
                self._answer({"messages": replies, "reading": {"latest_message": {
                    "intent": {"name": intent, "confidence": 0.99},
                    "intent_ranking": [{"name": intent, "confidence": 0.99},
                                       {"name": "goodbye", "confidence": 0.01}],
                    "entities": [], "sentiment": CALM}}})

            def log_message(self, *_: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._server.shutdown()


@pytest.fixture(scope="module")
def rasa() -> Iterator[FakeRasa]:
    fake = FakeRasa()
    yield fake
    fake.stop()


def make_client(desk_db_url, tmp_path, rasa_url: str, token: str | None = TOKEN,
                client=("testclient", 50000)) -> TestClient:
    settings = Settings(database_url=desk_db_url, rasa_url=rasa_url, rasa_timeout_s=5,
                        metrics_token=token,
                        rasa_endpoints=tmp_path / "no-endpoints.yml")  # no action server to watch
    return TestClient(create_app(settings), client=client)


def scrape(client: TestClient, token: str = TOKEN) -> dict[str, list]:
    """Each metric family's samples, as Prometheus's own text parser reads them."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {family.name: family.samples for family in text_string_to_metric_families(response.text)}


def value(families: dict[str, list], sample: str, **labels: str) -> float:
    [match] = [s.value for family in families.values() for s in family
               if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items())]
    return match


def say(client: TestClient, text: str) -> dict:
    created = client.post("/api/conversations").json()
    response = client.post(f"/api/conversations/{created['id']}/messages", json={"text": text},
                           headers={"X-Conversation-Token": created["token"]})
    assert response.status_code == 200, response.text
    return response.json()


def test_metrics_parse_and_count_a_real_turn_and_a_queued_handoff(desk_db_url, tmp_path, rasa):
    with make_client(desk_db_url, tmp_path, rasa.url) as client:
        before = scrape(client)
        assert value(before, "harbor_queue_length") == 0
        assert value(before, "harbor_turn_stage_seconds_count", stage="store") == 0
        assert "Hi!" in say(client, "hello")["replies"][0]["text"]
        say(client, "agent")  # action_handoff: queued for a person in the same turn
        families = scrape(client)
    for stage in ("store", "rasa", "policy"):
        assert value(families, "harbor_turn_stage_seconds_count", stage=stage) == 2, stage
        assert value(families, "harbor_turn_stage_seconds_bucket", stage=stage, le="+Inf") == 2
        assert value(families, "harbor_turn_stage_seconds_sum", stage=stage) > 0
    assert value(families, "harbor_customer_messages_total", channel="web") == 2
    assert value(families, "harbor_queue_length") == 1
    assert value(families, "harbor_agents_online") == 0
    assert value(families, "harbor_rasa_up", server=rasa.url) == 1
    assert "harbor_action_server_up" not in families  # none to watch in this test
    assert "harbor_bot_unavailable" in families and "harbor_failed_deliveries" in families


def test_replies_down_the_widget_socket_are_timed_as_delivery(desk_db_url, tmp_path, rasa):
    with make_client(desk_db_url, tmp_path, rasa.url) as client:
        created = client.post("/api/conversations").json()
        with client.websocket_connect(f"/ws/conversations/{created['id']}?token={created['token']}") as ws:
            ws.send_json({"text": "hello"})
            assert ws.receive_json()["type"] == "ack"
            assert ws.receive_json()["type"] == "message"
        families = scrape(client)
    assert value(families, "harbor_turn_stage_seconds_count", stage="delivery") == 1


def test_a_turn_rasa_cannot_answer_is_counted_and_rasa_reads_down(desk_db_url, tmp_path):
    down = f"http://127.0.0.1:{free_port()}"
    with make_client(desk_db_url, tmp_path, down) as client:
        created = client.post("/api/conversations").json()
        assert client.post(f"/api/conversations/{created['id']}/messages", json={"text": "hi"},
                           headers={"X-Conversation-Token": created["token"]}).status_code == 503
        families = scrape(client)
    assert value(families, "harbor_bot_unavailable_total", cause="rasa") == 1
    assert value(families, "harbor_rasa_up", server=down) == 0
    assert value(families, "harbor_turn_stage_seconds_count", stage="store") == 1
    assert value(families, "harbor_turn_stage_seconds_count", stage="rasa") == 0  # failures aren't latencies


def test_with_a_token_set_only_the_right_bearer_token_is_answered(desk_db_url, tmp_path, rasa):
    with make_client(desk_db_url, tmp_path, rasa.url, client=("127.0.0.1", 50000)) as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                        {"Authorization": f"Basic {TOKEN}"}):
            refused = client.get("/metrics", headers=headers)
            assert refused.status_code == 401, headers  # from loopback too
            assert refused.headers["www-authenticate"] == "Bearer"
            assert "ASSISTANT_METRICS_TOKEN" in refused.json()["error"]
        assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_without_a_token_only_loopback_is_answered(desk_db_url, tmp_path, rasa):
    with make_client(desk_db_url, tmp_path, rasa.url, token=None) as remote:
        refused = remote.get("/metrics")  # TestClient's own address, "testclient", is no loopback
        assert refused.status_code == 403
        assert "set ASSISTANT_METRICS_TOKEN" in refused.json()["error"]
    for address in ("127.0.0.1", "::1"):
        with make_client(desk_db_url, tmp_path, rasa.url, token=None, client=(address, 50000)) as local:
            answered = local.get("/metrics")
            assert answered.status_code == 200, address
            assert "harbor_turn_stage_seconds_bucket" in answered.text
            # a proxy on loopback forwarding someone else's request
            assert local.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403


def test_the_outbox_counts_given_up_deliveries_and_times_sent_ones(sessions):
    cid = ConversationStore(sessions).create("telegram").id
    outbox = Outbox(sessions, base_delay_s=0.01, max_attempts=3)
    outbox.enqueue(cid, "telegram", "1", [(None, {"text": "blocked"}), (None, {"text": "next"})])
    delivered: list[str] = []
    metrics = DeskMetrics()

    async def send(_: str, payload: dict) -> None:
        if payload["text"] == "blocked":
            raise SendFailed("403 Forbidden: bot was blocked by the user", retry=False)
        delivered.append(payload["text"])

    async def run_worker() -> None:
        worker = OutboxWorker(outbox, {"telegram": send}, poll_s=0.01, metrics=metrics)
        worker.start()
        for _ in range(200):
            if delivered:
                break
            await asyncio.sleep(0.01)
        await worker.stop()

    asyncio.run(run_worker())
    families = {f.name: f.samples for f in text_string_to_metric_families(asyncio.run(metrics.exposition()).decode())}
    assert value(families, "harbor_failed_deliveries_total", channel="telegram") == 1
    assert value(families, "harbor_turn_stage_seconds_count", stage="delivery") == 1
