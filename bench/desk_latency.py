"""Per-message latency through the desk next to Rasa's own REST webhook, same messages.

Starts the real stack on free loopback ports (unless --desk-url and --rasa-url are given),
sends N messages through the desk's REST API and the same N straight to Rasa's REST
webhook, interleaved so both see the same machine load, and reports median and 95th
percentile of each. A conversation the desk hands to a person (a message asking for one,
or an angry one) is replaced by a fresh one, since a person's conversations skip Rasa.

    .venv/bin/python -m bench.desk_latency --messages ../shared/data/banking77/train.csv -n 200
Without --messages it uses the training examples in data/nlu/.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import time
import uuid
from pathlib import Path

import httpx

from bench.stack import running_stack
from bench.timing import summary_ms, write_latency_report
from bot.launcher import ROOT
from bot.nlu.data import plain, read_rasa_nlu

TURNS_PER_CONVERSATION = 10


def load_messages(path: Path | None, n: int, seed: int) -> list[str]:
    if path is None:
        texts = [plain(text) for text, _ in read_rasa_nlu(sorted((ROOT / "data" / "nlu").glob("*.yml")))]
    elif path.suffix == ".csv":
        with path.open(newline="") as f:
            texts = [row["text"] for row in csv.DictReader(f)]
    else:
        texts = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    random.Random(seed).shuffle(texts)
    return texts[:n]


def summarise(latencies_s: list[float]) -> dict[str, float]:
    ms = [x * 1000 for x in latencies_s]
    return {**summary_ms(ms), "mean_ms": round(statistics.fmean(ms), 1)}


def measure(desk_url: str, rasa_url: str, messages: list[str]) -> dict[str, dict[str, float]]:
    desk, rasa = httpx.Client(base_url=desk_url, timeout=60), httpx.Client(base_url=rasa_url, timeout=60)
    desk_times, rasa_times = [], []
    conversation, headers, sender = None, {}, ""
    handed_over = False
    for i, text in enumerate(messages):
        # A conversation handed to a person no longer reaches Rasa: measure on a fresh one.
        if i % TURNS_PER_CONVERSATION == 0 or handed_over:
            created = desk.post("/api/conversations").json()
            conversation, headers = created["id"], {"X-Conversation-Token": created["token"]}
            sender = f"bench-{uuid.uuid4()}"
        started = time.perf_counter()
        response = desk.post(f"/api/conversations/{conversation}/messages", json={"text": text},
                             headers=headers)
        response.raise_for_status()
        desk_times.append(time.perf_counter() - started)
        handed_over = any("handoff" in (reply.get("custom") or {}) for reply in response.json()["replies"])
        started = time.perf_counter()
        rasa.post("/webhooks/rest/webhook", json={"sender": sender, "message": text}).raise_for_status()
        rasa_times.append(time.perf_counter() - started)
        if (i + 1) % 50 == 0:
            print(f"  {i + 1}/{len(messages)} messages", flush=True)
    return {"desk": summarise(desk_times), "rasa_rest_webhook": summarise(rasa_times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=Path, help="a .csv with a 'text' column or a text file")
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--desk-url")
    parser.add_argument("--rasa-url")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "desk_latency")
    args = parser.parse_args()
    messages = load_messages(args.messages, args.n, args.seed)
    if args.desk_url and args.rasa_url:
        result = measure(args.desk_url, args.rasa_url, messages)
    else:
        with running_stack() as stack:
            measure(stack.desk_url, stack.rasa_url, messages[:20])  # warm-up, not counted
            result = measure(stack.desk_url, stack.rasa_url, messages)
    overhead = result["desk"]["median_ms"] - result["rasa_rest_webhook"]["median_ms"]
    result["desk_overhead_median_ms"] = round(overhead, 1)
    result["desk_to_rasa_median_ratio"] = round(
        result["desk"]["median_ms"] / result["rasa_rest_webhook"]["median_ms"], 2)
    print(write_latency_report(args.out, result, "path"))
    print(f"desk overhead (median): {overhead:.1f} ms; ratio {result['desk_to_rasa_median_ratio']}")


if __name__ == "__main__":
    main()
