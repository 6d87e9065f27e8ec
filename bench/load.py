"""Closed-loop load: N customers chat at once (each its own conversation, M messages each,
sent as fast as the replies come), through the desk's REST API and, in the same run,
straight to Rasa's REST webhook. Afterwards every desk conversation is read back: a message
is lost when it was sent but is not stored once and answered.

    .venv/bin/python -m bench.load --customers 200 --messages 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import select

from bench.timing import summary_ms
from bot.db import make_engine, make_session_factory
from bot.desk.models import DeliveryStatus, Message, Sender
from bot.launcher import ROOT, Stack
from bot.training import ensure_model

MESSAGES = ["hi", "where is my order?", "can I pay with paypal?", "how long do I have to return something?",
            "do you ship to canada", "thanks", "what is your phone number for customer support"]


@dataclass
class Run:
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    sent: dict[str, list[str]] = field(default_factory=dict)  # conversation id -> texts sent
    seconds: float = 0.0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    async def timed(self, request: Awaitable[httpx.Response]) -> None:
        """One message's round trip, or the error that ended it."""
        started = time.perf_counter()
        try:
            response = await request
        except httpx.HTTPError as error:
            self.error(type(error).__name__)
            return
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        if response.status_code >= 400:
            self.error(f"HTTP {response.status_code}")


async def desk_customer(client: httpx.AsyncClient, n: int, messages: int, run: Run) -> None:
    try:
        created = (await client.post("/api/conversations")).json()
    except httpx.HTTPError as error:
        run.error(type(error).__name__)
        return
    headers = {"X-Conversation-Token": created["token"]}
    run.sent[created["id"]] = []
    for i in range(messages):
        text = MESSAGES[(n + i) % len(MESSAGES)]
        run.sent[created["id"]].append(text)
        await run.timed(client.post(f"/api/conversations/{created['id']}/messages", json={"text": text},
                                    headers=headers))


async def rasa_customer(client: httpx.AsyncClient, n: int, messages: int, run: Run) -> None:
    for i in range(messages):
        await run.timed(client.post("/webhooks/rest/webhook", json={
            "sender": f"load-{n}", "message": MESSAGES[(n + i) % len(MESSAGES)]}))


async def load(url: str, customer, customers: int, messages: int) -> Run:  # noqa: ANN001
    run = Run()
    limits = httpx.Limits(max_connections=customers + 10, max_keepalive_connections=customers + 10)
    async with httpx.AsyncClient(base_url=url, timeout=180, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(customer(client, n, messages, run) for n in range(customers)))
        run.seconds = time.perf_counter() - started
    return run


def lost(database_url: str, run: Run) -> int:
    """Messages sent through the desk that are not stored exactly once and answered, in order."""
    engine = make_engine(database_url)
    missing = 0
    with make_session_factory(engine)() as session:
        for conversation_id, texts in run.sent.items():
            stored = session.scalars(select(Message).where(
                Message.conversation_id == conversation_id, Message.sender == Sender.customer)
                .order_by(Message.id)).all()
            answered = [m.text for m in stored if m.status == DeliveryStatus.answered]
            missing += sum(1 for a, b in zip(texts, answered) if a != b) + max(0, len(texts) - len(answered))
            missing += max(0, len(stored) - len(texts))  # stored twice counts too
    engine.dispose()
    return missing


def report(name: str, run: Run, messages: int, lost_count: int | None) -> dict:
    summary = summary_ms(run.latencies_ms, digits=0) if run.latencies_ms else {}
    return {"path": name, "msgs_per_s": round(len(run.latencies_ms) / run.seconds, 1), **summary,
            "errors": run.errors, "lost": lost_count, "sent": messages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--messages", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "load")
    args = parser.parse_args()
    total = args.customers * args.messages
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack.isolated(ensure_model(), Path(tmp))
        stack.start()
        try:
            stack.wait_healthy(timeout_s=240)
            print(f"stack up; {args.customers} customers x {args.messages} messages, through the desk ...",
                  flush=True)
            desk = asyncio.run(load(stack.desk_url, desk_customer, args.customers, args.messages))
            desk_lost = lost(stack.database_url, desk)
            print("... and straight to Rasa", flush=True)
            rasa = asyncio.run(load(stack.rasa_url, rasa_customer, args.customers, args.messages))
        finally:
            stack.stop()
    rows = [report("through the desk", desk, total, desk_lost), report("Rasa's REST webhook alone", rasa, total, None)]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(rows, indent=2))
    table = ["| path | msgs/s | p50 (ms) | p95 (ms) | errors | lost |", "|---|---:|---:|---:|---|---:|"]
    table += [f"| {r['path']} | {r['msgs_per_s']} | {r.get('median_ms')} | {r.get('p95_ms')} | "
              f"{r['errors'] or 0} | {'-' if r['lost'] is None else r['lost']} |" for r in rows]
    (args.out / "results.md").write_text("\n".join(table) + "\n")
    print("\n".join(table))


if __name__ == "__main__":
    main()
