"""Publish after a one-example change, timed, with customers chatting throughout (targets:
validate + train + test stories + evaluation + swap within 3 minutes on 2 cores; messages
failed during the swap: 0).

Starts an isolated stack (its own copy of the project), logs in as an editor, adds one
example through the studio API, trains and publishes through the same API the page uses,
while `--customers` customers keep sending messages through the desk. Reports each step's
time, the whole publish, and every customer message that failed or went unanswered.

    .venv/bin/python -m bench.studio_publish
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

from bench.timing import summary_ms
from bot.launcher import ROOT, Stack
from bot.training import ensure_model

CHATTER = ["hi", "can I pay with paypal?", "how long do I have to return something?", "thanks"]


def chat(desk_url: str, stop: threading.Event, out: dict) -> None:
    client = httpx.Client(base_url=desk_url, timeout=60)
    created = client.post("/api/conversations").json()
    headers = {"X-Conversation-Token": created["token"]}
    while not stop.is_set():
        text = CHATTER[out["sent"] % len(CHATTER)]
        started = time.perf_counter()
        try:
            response = client.post(f"/api/conversations/{created['id']}/messages", json={"text": text},
                                   headers=headers)
            ok = response.status_code == 200 and any(r["text"] for r in response.json()["replies"])
        except httpx.HTTPError:
            ok = False
        out["latencies"].append((time.perf_counter() - started) * 1000)
        out["sent"] += 1
        out["failed"] += not ok
        stop.wait(0.3)
    transcript = client.get(f"/api/conversations/{created['id']}/messages", headers=headers).json()
    customer = [m for m in transcript["messages"] if m["sender"] == "customer"]
    out["stored"] = len(customer)
    out["unanswered"] = sum(m["status"] != "answered" for m in customer)


def run(stack: Stack, customers: int) -> dict:
    """One publish: a new example (so a real retrain), train, publish, all under load."""
    editor = httpx.Client(base_url=stack.desk_url, timeout=120)
    login = editor.post("/api/console/login", json={"username": "erin", "password": "harbor-editor-1"})
    headers = {"X-CSRF-Token": login.json()["csrf_token"]}
    example = f"is my blender parcel {uuid.uuid4().hex[:6]} on its way"
    editor.post("/api/studio/intents/track_order/examples", json={"text": example},
                headers=headers).raise_for_status()
    stop = threading.Event()
    loads = [{"sent": 0, "failed": 0, "latencies": []} for _ in range(customers)]
    threads = [threading.Thread(target=chat, args=(stack.desk_url, stop, out)) for out in loads]
    for thread in threads:
        thread.start()
    time.sleep(2)
    started = time.perf_counter()
    editor.post("/api/studio/train", headers=headers).raise_for_status()
    while (job := editor.get("/api/studio/train").json()["job"])["state"] == "running":
        time.sleep(1)
    if job["state"] != "ready":
        raise SystemExit(f"training failed: {job['error']}\n" + "\n".join(job["log"][-20:]))
    swap_started = time.perf_counter()
    published = editor.post("/api/studio/publish", json={}, headers=headers)
    published.raise_for_status()
    swap_s = time.perf_counter() - swap_started
    total_s = time.perf_counter() - started
    time.sleep(10)  # past the old server's grace period
    stop.set()
    for thread in threads:
        thread.join()
    latencies = [ms for out in loads for ms in out["latencies"]]
    return {
        "steps_s": {s["name"]: s["elapsed_s"] for s in job["steps"]},
        "swap_s": round(swap_s, 2), "publish_total_s": round(total_s, 1),
        "candidate": job["candidate"], "active": job["active"], "stories": job["stories"],
        "customers": {"messages_sent": sum(o["sent"] for o in loads),
                      "failed": sum(o["failed"] for o in loads),
                      "stored": sum(o["stored"] for o in loads),
                      "unanswered": sum(o["unanswered"] for o in loads),
                      "latency": summary_ms(latencies), "max_ms": round(max(latencies), 1)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2,
                        help="publishes in a row: the first also scores the model the stack "
                             "started with; later ones find the active model's score cached")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "studio")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack.isolated(ensure_model(), Path(tmp))
        stack.start()
        try:
            stack.wait_healthy(timeout_s=240)
            rounds = [run(stack, args.customers) for _ in range(args.rounds)]
        finally:
            stack.stop()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "publish.json").write_text(json.dumps(rounds, indent=2))
    print(json.dumps(rounds, indent=2))
    for number, result in enumerate(rounds, start=1):
        c = result["customers"]
        print(f"Publish {number} after a one-example change: {result['publish_total_s']} s (target "
              f"180 s); customer messages {c['messages_sent']}, failed {c['failed']}, lost "
              f"{c['messages_sent'] - c['stored']}, unanswered {c['unanswered']}")


if __name__ == "__main__":
    main()
