"""Every messaging channel's turn next to the widget's: from the webhook arriving to the turn's
last reply handed to the provider (fake providers on loopback), against the widget's REST
turn for the same messages on the same stack (target: p95 no more than 1.1x the widget's).

    .venv/bin/python -m bench.channel_latency -n 120 [--channels telegram,slack]

The widget's turn is the REST call's round trip; a channel's is from just before its webhook
is posted to the moment the fake provider holds the last reply (polled every millisecond).
Turns are interleaved in chunks so every path sees the same machine.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import httpx

from bench.timing import summary_ms
from bot.launcher import ROOT, Stack
from bot.training import ensure_model
from tests.fakes.customers import ChannelCustomer
from tests.fakes.providers import CHANNELS, FakeProviders

MESSAGES = ["hi", "can I pay with paypal?", "how long do I have to return something?", "thanks",
            "do you ship to canada", "what is your phone number for customer support"]
CHUNK = 20


def widget_turns(desk: str, texts: list[str], replies: dict[str, int]) -> list[float]:
    """REST turns in one conversation; notes how many replies each text gets."""
    client = httpx.Client(base_url=desk, timeout=60)
    created = client.post("/api/conversations").json()
    headers = {"X-Conversation-Token": created["token"]}
    samples = []
    for text in texts:
        started = time.perf_counter()
        response = client.post(f"/api/conversations/{created['id']}/messages", json={"text": text},
                               headers=headers)
        response.raise_for_status()
        samples.append((time.perf_counter() - started) * 1000)
        replies[text] = sum(1 for r in response.json()["replies"] if r["text"])
    return samples


def channel_turns(customer: ChannelCustomer, texts: list[str], replies: dict[str, int]) -> list[float]:
    """Webhook in to the turn's last reply at the fake provider, for one customer."""
    samples = []
    for text in texts:
        expected = len(customer.received()) + replies[text]
        call = customer.event(text)
        started = time.perf_counter()
        customer.post(call).raise_for_status()
        deadline = started + 30
        while len(customer.received()) < expected:
            if time.perf_counter() > deadline:
                raise SystemExit(f"{customer.channel}: replies to {text!r} did not all arrive")
            time.sleep(0.001)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=120, help="turns per path")
    parser.add_argument("--channels", default=",".join(CHANNELS))
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "channels")
    args = parser.parse_args()
    names = args.channels.split(",")
    unknown = set(names) - set(CHANNELS)
    if unknown:
        parser.error(f"unknown channels {sorted(unknown)}; choose from {CHANNELS}")
    texts = [MESSAGES[i % len(MESSAGES)] for i in range(args.n)]
    providers = FakeProviders.start()
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack.isolated(ensure_model(), Path(tmp), env=providers.env())
        stack.start()
        try:
            stack.wait_healthy(timeout_s=240)
            print(f"stack up; {args.n} turns on the widget and on each of {', '.join(names)}", flush=True)
            replies: dict[str, int] = {}
            widget_turns(stack.desk_url, texts[:12], replies)  # warm-up, not counted
            for name in names:
                channel_turns(providers.customer(stack.desk_url, name), texts[:12], replies)
            samples: dict[str, list[float]] = {"widget": [], **{name: [] for name in names}}
            for start in range(0, args.n, CHUNK):
                chunk = texts[start:start + CHUNK]
                samples["widget"] += widget_turns(stack.desk_url, chunk, replies)
                for name in names:
                    samples[name] += channel_turns(providers.customer(stack.desk_url, name), chunk, replies)
                print(f"  {start + len(chunk)}/{args.n}", flush=True)
        finally:
            stack.stop()
            providers.stop()
    widget = summary_ms(samples["widget"])
    result: dict = {"widget_rest_turn": widget, "channels": {}}
    for name in names:
        summary = summary_ms(samples[name])
        result["channels"][name] = {**summary, "p95_ratio": round(summary["p95_ms"] / widget["p95_ms"], 3)}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latency.json").write_text(json.dumps(result, indent=2))
    table = ["| path | n | median (ms) | p95 (ms) | p95 / widget |", "|---|---:|---:|---:|---:|",
             f"| widget (REST) | {widget['n']} | {widget['median_ms']} | {widget['p95_ms']} | 1.0 |"]
    table += [f"| {name} | {r['n']} | {r['median_ms']} | {r['p95_ms']} | {r['p95_ratio']} |"
              for name, r in result["channels"].items()]
    (args.out / "latency.md").write_text("\n".join(table) + "\n")
    print("\n".join(table))


if __name__ == "__main__":
    main()
