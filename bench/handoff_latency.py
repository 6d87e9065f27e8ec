"""How fast a customer who asks for a person reaches the queue, and an agent sees the summary.

Starts the real stack (unless --desk-url is given), then for N conversations: two ordinary
turns, then "I want to talk to a person" (the handoff turn: policy, tracker, summary,
queueing, the customer's notice, all before the reply). Then an agent opens each
conversation (summary, transcript, profile, suggested articles) and reads the queue with
all N waiting. Reports median and 95th percentile of each, next to the ordinary turns.

    .venv/bin/python -m bench.handoff_latency -n 30
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import httpx

from bench.stack import running_stack
from bench.timing import summary_ms, write_latency_report
from bot.console.accounts import DEMO_ACCOUNTS
from bot.launcher import ROOT

ORDINARY = ["hi", "how long do I have to return something?"]
HANDOFF = "I want to talk to a person"


def timed(call) -> tuple[float, httpx.Response]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    response = call()
    response.raise_for_status()
    return (time.perf_counter() - started) * 1000, response


def measure(desk_url: str, n: int) -> dict[str, dict[str, float]]:
    customer = httpx.Client(base_url=desk_url, timeout=60)
    ordinary, handoff, views = [], [], []
    conversations = []
    for i in range(n):
        created = customer.post("/api/conversations").json()
        headers = {"X-Conversation-Token": created["token"]}
        path = f"/api/conversations/{created['id']}/messages"
        for text in ORDINARY:
            ordinary.append(timed(lambda: customer.post(path, json={"text": text}, headers=headers))[0])
        elapsed, response = timed(lambda: customer.post(path, json={"text": HANDOFF}, headers=headers))
        if not any((r.get("custom") or {}).get("handoff", {}).get("status") == "queued"
                   for r in response.json()["replies"]):
            raise SystemExit(f"conversation {i} did not reach the queue: {response.text[:300]}")
        handoff.append(elapsed)
        conversations.append(created["id"])
    agent = httpx.Client(base_url=desk_url, timeout=60)
    username, _, password, _ = DEMO_ACCOUNTS[0]
    agent.post("/api/console/login", json={"username": username, "password": password}).raise_for_status()
    queue_ms, _ = timed(lambda: agent.get("/api/console/queue"))
    for conversation_id in conversations:
        elapsed, response = timed(lambda: agent.get(f"/api/console/conversations/{conversation_id}"))
        if not response.json()["summary"]["issue"]:
            raise SystemExit(f"no summary for {conversation_id}")
        views.append(elapsed)
    return {"ordinary_turn": summary_ms(ordinary), "handoff_turn": summary_ms(handoff),
            "agent_opens_conversation": summary_ms(views),
            "queue_with_all_waiting": summary_ms([queue_ms])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30, help="conversations handed over")
    parser.add_argument("--desk-url", help="a running desk (with the demo accounts) instead of a fresh stack")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "handoff_latency")
    args = parser.parse_args()
    if args.desk_url:
        result = measure(args.desk_url, args.n)
    else:
        with running_stack() as stack:
            measure(stack.desk_url, 3)  # warm-up (first summary, knowledge base load)
            print(f"Handing over {args.n} conversations ...", flush=True)
            result = measure(stack.desk_url, args.n)
    result["handoff_to_ordinary_median_ratio"] = round(
        result["handoff_turn"]["median_ms"] / result["ordinary_turn"]["median_ms"], 2)
    print(write_latency_report(args.out, result, "step"))
    print(f"handoff turn / ordinary turn (median): {result['handoff_to_ordinary_median_ratio']}")


if __name__ == "__main__":
    main()
