"""A customer whose message the bot cannot answer is told so at once, and, once Rasa has been
down longer than configured, the conversation goes to a person with reason bot_unavailable.
(Answering after Rasa comes back runs against the real processes: tests/integration/test_faults.py.)"""

import time

from fastapi.testclient import TestClient

from bot.console.accounts import AccountStore, seed_demo_accounts
from bot.db import make_engine, make_session_factory
from bot.desk.app import create_app
from bot.serving import free_port
from bot.settings import Settings


def test_a_customer_left_waiting_too_long_is_queued_for_a_person(desk_db_url):
    settings = Settings(database_url=desk_db_url, rasa_url=f"http://127.0.0.1:{free_port()}",
                        rasa_timeout_s=1, bot_unavailable_after_s=1, session_secret="s" * 64)
    app = create_app(settings)
    seed_demo_accounts(AccountStore(make_session_factory(make_engine(desk_db_url))))
    with TestClient(app) as client:
        created = client.post("/api/conversations").json()
        path = f"/api/conversations/{created['id']}/messages"
        headers = {"X-Conversation-Token": created["token"]}
        told = client.post(path, json={"text": "my parcel never came"}, headers=headers)
        assert told.status_code == 503 and told.json()["code"] == "bot_unavailable"
        client.post("/api/console/login", json={"username": "alex", "password": "harbor-agent-1"})
        deadline = time.monotonic() + 8  # recovery looks at once (it idles 10 s otherwise)
        while not (items := client.get("/api/console/queue").json()["items"]):
            assert time.monotonic() < deadline, "never queued"
            time.sleep(0.2)
        assert [r["code"] for r in items[0]["reasons"]] == ["bot_unavailable"]
        texts = [m["text"] for m in client.get(path, headers=headers).json()["messages"]]
        assert texts[0] == "my parcel never came" and "member of our team" in texts[1]
