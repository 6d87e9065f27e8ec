"""Closed-loop load: N customers chat at once (each its own conversation, M messages each,
sent as fast as the replies come), through the desk's REST API and, in the same run,
straight to Rasa's REST webhook, on the embedded profile and on the production profile with
1 and 2 desk workers and Rasa servers. Afterwards every desk conversation is read back: a
message is lost when it was sent but is not stored once and answered. Also the CPU each kind
of process spent per message, and one long conversation's turns 1, 50 and 100.

    .venv/bin/python -m bench.load --customers 200 --messages 5 [--profiles embedded,...]
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

from bench.cpu import family_cpu_seconds, group_cpu_seconds
from bench.long_conversation import WINDOW, around, desk_turns, rasa_turns
from bench.timing import summary_ms
from bot.db import make_engine, make_session_factory
from bot.desk.models import DeliveryStatus, Message, Sender
from bot.launcher import ROOT, Ports, Stack
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


async def desk_customer(clients: list[httpx.AsyncClient], n: int, messages: int, run: Run) -> None:
    """Customer n on desk worker n mod N, as a load balancer would spread them."""
    client = clients[n % len(clients)]
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


async def rasa_customer(clients: list[httpx.AsyncClient], n: int, messages: int, run: Run) -> None:
    """Customer n on Rasa server n mod M (the desk also keeps a conversation on one server)."""
    client = clients[n % len(clients)]
    for i in range(messages):
        await run.timed(client.post("/webhooks/rest/webhook", json={
            "sender": f"load-{n}", "message": MESSAGES[(n + i) % len(MESSAGES)]}))


async def load(urls: list[str], customer, customers: int, messages: int) -> Run:  # noqa: ANN001
    run = Run()
    # Idle connections are dropped before the servers' own keep-alive ends (Rasa's is 5 s), as
    # a browser or balancer would: a request on a connection the server is closing is lost.
    limits = httpx.Limits(max_connections=customers + 10, max_keepalive_connections=customers + 10,
                          keepalive_expiry=2.0)
    clients = [httpx.AsyncClient(base_url=url, timeout=180, limits=limits) for url in urls]
    try:
        started = time.perf_counter()
        await asyncio.gather(*(customer(clients, n, messages, run) for n in range(customers)))
        run.seconds = time.perf_counter() - started
    finally:
        for client in clients:
            await client.aclose()
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


def cpu_by_process(stack: Stack) -> dict[str, float]:
    """CPU seconds so far of the desk workers, the Rasa servers and the action server, and of
    PostgreSQL and Redis where the stack runs them (the production profile)."""
    totals: dict[str, float] = {}
    for service in stack.services:
        kind = service.name.split("-")[0]
        totals[kind] = totals.get(kind, 0.0) + group_cpu_seconds(service.process.pid)
    if stack.datastores is not None:
        for kind, server in (("postgres", stack.datastores.postgres), ("redis", stack.datastores.redis)):
            if server.pid is not None:
                totals[kind] = family_cpu_seconds(server.pid)
    return totals


def measured(stack: Stack, work) -> tuple[Run, dict[str, float]]:  # noqa: ANN001
    """Run `work`; its Run and the CPU seconds each kind of process spent meanwhile."""
    before = cpu_by_process(stack)
    run = work()
    after = cpu_by_process(stack)
    return run, {kind: round(after[kind] - before[kind], 1) for kind in after}


def report(name: str, run: Run, messages: int, lost_count: int | None, cpu: dict[str, float]) -> dict:
    summary = summary_ms(run.latencies_ms, digits=0) if run.latencies_ms else {}
    answered = max(1, len(run.latencies_ms))
    return {"path": name, "msgs_per_s": round(len(run.latencies_ms) / run.seconds, 1), **summary,
            "errors": run.errors, "http_5xx": sum(n for kind, n in run.errors.items() if kind.startswith("HTTP 5")),
            "lost": lost_count, "sent": messages,
            "cpu_ms_per_message": {kind: round(1000 * seconds / answered, 1) for kind, seconds in cpu.items()}}


PROFILES = {"embedded": None, "production 1 desk x 1 Rasa": (1, 1), "production 1 desk x 2 Rasa": (1, 2),
            "production 2 desk x 1 Rasa": (2, 1), "production 2 desk x 2 Rasa": (2, 2)}


def run_profile(name: str, shape: tuple[int, int] | None, workdir: Path, customers: int, messages: int,
                turns: int) -> list[dict]:
    ports = Ports.free(rasa_servers=shape[1], desk_workers=shape[0]) if shape else None
    stack = Stack.isolated(ensure_model(), workdir, production=ports)
    stack.start()
    total = customers * messages
    try:
        stack.wait_healthy(timeout_s=300)
        rasa_urls = [f"http://127.0.0.1:{port}" for port in stack.ports.all_rasa]
        print(f"{name}: up; {customers} customers x {messages} messages through the desk ...", flush=True)
        desk, desk_cpu = measured(stack, lambda: asyncio.run(load(stack.desk_urls, desk_customer, customers, messages)))
        desk_lost = lost(stack.database_url, desk)
        print(f"{name}: ... and straight to Rasa", flush=True)
        rasa, rasa_cpu = measured(stack, lambda: asyncio.run(load(rasa_urls, rasa_customer, customers, messages)))
        print(f"{name}: one conversation of {turns} turns, each way", flush=True)
        long_desk = desk_turns(stack.desk_urls[0], turns)
        long_rasa = rasa_turns(rasa_urls[0], turns, sender=f"long-{name}")
    finally:
        stack.stop()
    marks = {f"turn_{t}_ms": t for t in (1, 50, 100) if t + WINDOW <= turns}
    return [{"profile": name, **report("through the desk", desk, total, desk_lost, desk_cpu),
             **{key: around(long_desk, t) for key, t in marks.items()}},
            {"profile": name, **report("Rasa's REST webhook alone", rasa, total, None, rasa_cpu),
             **{key: around(long_rasa, t) for key, t in marks.items()}}]


def table(rows: list[dict]) -> str:
    lines = ["| profile | path | msgs/s | vs Rasa | p50 (ms) | p95 (ms) | 5xx | other errors | lost "
             "| CPU ms/msg desk / Rasa / actions / PostgreSQL / Redis | turn 1 / 50 / 100 (ms) | 100 / 1 |",
             "|---|---|---:|---:|---:|---:|---:|---|---:|---|---|---:|"]
    for desk, rasa in zip(rows[::2], rows[1::2]):
        for row in (desk, rasa):
            cpu = row["cpu_ms_per_message"]
            others = {k: v for k, v in row["errors"].items() if not k.startswith("HTTP 5")} or 0
            turns = " / ".join(str(row.get(f"turn_{t}_ms", "-")) for t in (1, 50, 100))
            ratio = round(row["turn_100_ms"] / row["turn_1_ms"], 2) if "turn_100_ms" in row else "-"
            lines.append(f"| {row['profile']} | {row['path']} | {row['msgs_per_s']} | "
                         f"{round(row['msgs_per_s'] / rasa['msgs_per_s'], 2)} | {row.get('median_ms')} | "
                         f"{row.get('p95_ms')} | {row['http_5xx']} | {others} | "
                         f"{'-' if row['lost'] is None else row['lost']} | "
                         f"{cpu.get('desk')} / {cpu.get('rasa')} / {cpu.get('actions')} / "
                         f"{cpu.get('postgres', '-')} / {cpu.get('redis', '-')} | {turns} | {ratio} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--messages", type=int, default=5)
    parser.add_argument("--turns", type=int, default=105, help="of the one long conversation")
    parser.add_argument("--profiles", default=",".join(PROFILES),
                        help=f"comma-separated, of: {', '.join(PROFILES)}")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "load")
    args = parser.parse_args()
    rows: list[dict] = []
    for name in [n.strip() for n in args.profiles.split(",") if n.strip()]:
        if name not in PROFILES:
            parser.error(f"unknown profile {name!r}; known: {', '.join(PROFILES)}")
        with tempfile.TemporaryDirectory() as tmp:
            rows += run_profile(name, PROFILES[name], Path(tmp), args.customers, args.messages, args.turns)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.json").write_text(json.dumps(rows, indent=2))
        (args.out / "results.md").write_text(table(rows) + "\n")
        print(table(rows), flush=True)


if __name__ == "__main__":
    main()
