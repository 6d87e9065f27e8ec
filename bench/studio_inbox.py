"""How fast the studio's review inbox opens over a big history (target: under 1 s for
100,000 stored messages).

Fills a fresh SQLite database with N customer messages (with their bot replies) in
conversations of ten, a share of them in the inbox spread over groups of different sizes
(vectors are synthetic: opening the inbox never encodes), then times the editor's
`GET /api/studio/inbox` through the desk app, logged in as an editor.

    .venv/bin/python -m bench.studio_inbox --messages 100000
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import insert

from bench.timing import summary_ms
from bot.console.accounts import AccountStore, seed_demo_accounts
from bot.db import make_engine, make_session_factory
from bot.desk.app import create_app
from bot.desk.migrate import upgrade_database
from bot.desk.models import Conversation, Message
from bot.launcher import ROOT, free_port
from bot.settings import Settings
from bot.studio.inbox import ReviewGroup, ReviewItem


def fill(url: str, messages: int, flagged: float, groups: int, seed: int = 7) -> dict[str, int]:
    rng = random.Random(seed)
    vectors = np.random.default_rng(seed).normal(size=(groups, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    engine = make_engine(url)
    # Zipf-like group sizes: a few big groups, a long tail of one-offs.
    weights = [1 / (rank + 1) for rank in range(groups)]
    with engine.begin() as connection:
        connection.execute(insert(ReviewGroup), [{"id": g + 1, "vector": vectors[g].tobytes()}
                                                 for g in range(groups)])
        message_id, items = 0, 0
        for start in range(0, messages, 10):
            cid = str(uuid.uuid4())
            connection.execute(insert(Conversation), [{"id": cid, "token_hash": "x" * 64}])
            rows, review = [], []
            for turn in range(min(10, messages - start)):
                message_id += 1
                text = f"customer message {message_id} about order {10000 + turn}"
                analysis = {"mode": "bot", "intent": {"name": "track_order", "confidence": 0.4}}
                rows.append({"id": message_id, "conversation_id": cid, "sender": "customer",
                             "text": text, "status": "answered", "analysis": analysis})
                if rng.random() < flagged:
                    items += 1
                    review.append({"message_id": message_id, "conversation_id": cid, "text": text,
                                   "group_id": rng.choices(range(1, groups + 1), weights)[0],
                                   "reasons": ["low_confidence"], "intent": "track_order",
                                   "confidence": round(rng.uniform(0.2, 0.6), 3), "state": "pending"})
            connection.execute(insert(Message), rows)
            if review:
                connection.execute(insert(ReviewItem), review)
    engine.dispose()
    return {"messages": messages, "inbox_items": items, "groups": groups}


def measure(url: str, loads: int) -> dict[str, dict[str, float]]:
    settings = Settings(database_url=url, rasa_url=f"http://127.0.0.1:{free_port()}", rasa_timeout_s=2,
                        session_secret="s" * 64, project_dir=ROOT)
    seed_demo_accounts(AccountStore(make_session_factory(make_engine(url))))
    with TestClient(create_app(settings)) as client:
        login = client.post("/api/console/login", json={"username": "erin", "password": "harbor-editor-1"})
        login.raise_for_status()
        first_started = time.perf_counter()
        client.get("/api/studio/inbox").raise_for_status()
        first = [(time.perf_counter() - first_started) * 1000]
        samples = []
        for _ in range(loads):
            started = time.perf_counter()
            page = client.get("/api/studio/inbox")
            page.raise_for_status()
            samples.append((time.perf_counter() - started) * 1000)
        body = page.json()
    return {"first_load": summary_ms(first), "inbox_load": summary_ms(samples),
            "shown": {"groups_on_page": len(body["groups"]), "total_groups": body["total_groups"],
                      "total_items": body["total_items"]}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--flagged", type=float, default=0.3, help="share of messages in the inbox")
    parser.add_argument("--groups", type=int, default=4000)
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "studio")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'desk.db'}"
        upgrade_database(url)
        print(f"Filling a database with {args.messages} messages ...", flush=True)
        started = time.perf_counter()
        filled = fill(url, args.messages, args.flagged, args.groups)
        print(f"  {filled} in {time.perf_counter() - started:.0f} s", flush=True)
        result = {"data": filled, **measure(url, args.loads)}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "inbox.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    verdict = "meets" if result["inbox_load"]["p95_ms"] < 1000 else "misses"
    print(f"Inbox over {args.messages} messages: median {result['inbox_load']['median_ms']} ms, "
          f"p95 {result['inbox_load']['p95_ms']} ms ({verdict} the 1 s target)")


if __name__ == "__main__":
    main()
