"""Latency of the common customer lookups: the real action server over HTTP, as Rasa calls it.

Starts the stack on free loopback ports (seeded demo store), then calls each action N
times with the tracker Rasa would send for a signed-in customer, and reports median and
95th percentile per action, next to the profile-store query alone.

    .venv/bin/python -m bench.action_latency -n 500
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bench.stack import running_stack
from bench.timing import summary_ms
from bot.db import make_engine, make_session_factory
from bot.launcher import ROOT
from bot.profiles.store import ProfileStore

CUSTOMER = "C1001"
LOOKUPS = {  # action, order topic, what the store does for it
    "track order": ("action_order_request", "track", lambda s: s.order(CUSTOMER, 10482)),
    "refund status": ("action_order_request", "refund_status", lambda s: s.refunds(CUSTOMER, 10377)),
    "invoice": ("action_order_request", "invoice", lambda s: s.invoice(CUSTOMER, 10377)),
    "saved payment methods": ("action_resume_request", None, lambda s: s.payment_methods(CUSTOMER)),
}
ORDER_FOR = {"track": "10482", "refund_status": "10377", "invoice": "10377"}


def tracker(topic: str | None) -> dict:
    user = {"event": "user", "text": "question", "metadata": {"customer_id": CUSTOMER},
            "parse_data": {"intent": {"name": "track_order"}, "entities": []}}
    return {"sender_id": "bench", "latest_message": user["parse_data"] | {"text": "question"},
            "slots": {"order_id": ORDER_FOR.get(topic or ""), "order_topic": topic,
                      "pending_request": None if topic else "payment_methods"},
            "events": [user], "paused": False, "followup_action": None, "active_loop": {},
            "latest_action_name": "action_listen"}


def timed(call: Callable[[], object], n: int) -> dict[str, float]:
    call()  # warm-up
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return summary_ms(samples, digits=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=500)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "action_latency")
    args = parser.parse_args()
    rows = {}
    with running_stack() as stack:
        store = ProfileStore(make_session_factory(make_engine(stack.database_url)))
        client = httpx.Client(base_url=f"http://127.0.0.1:{stack.ports.actions}", timeout=30)
        for name, (action, topic, query) in LOOKUPS.items():
            body = {"next_action": action, "sender_id": "bench", "tracker": tracker(topic),
                    "domain": {}, "version": "3.6.21"}

            def call_action() -> None:
                response = client.post("/webhook", json=body)
                response.raise_for_status()
                assert response.json()["responses"], response.text

            rows[name] = {"action_http": timed(call_action, args.n),
                          "store_query": timed(lambda: query(store), args.n)}
            print(name, json.dumps(rows[name]), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(rows, indent=2))
    table = ["| lookup | action over HTTP: median (ms) | p95 (ms) | store query: median (ms) | p95 (ms) |",
             "|---|---:|---:|---:|---:|"]
    table += [f"| {k} | {v['action_http']['median_ms']} | {v['action_http']['p95_ms']} | "
              f"{v['store_query']['median_ms']} | {v['store_query']['p95_ms']} |" for k, v in rows.items()]
    (args.out / "results.md").write_text("\n".join(table) + "\n")
    print("\n".join(table))


if __name__ == "__main__":
    main()
