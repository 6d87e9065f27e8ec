"""`make bench-analytics`: the dashboard's API over 100,000 conversations and 1,000,000
messages, on SQLite and on PostgreSQL (target: under 1 s per request).

Synthetic conversations (90 days, six channels, handoffs with ratings, knowledge-base
questions, review items) are bulk-inserted into a fresh database; `assistant analytics
rebuild` computes their facts (timed); then the real desk (uvicorn, the app factory) is
started on that database alone and a lead's requests are timed over HTTP: the report for 30
and 90 days, one channel, the CSV export and a drill-down. Each request is made once cold,
then five times; the median of those five is reported.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import insert

from bot.analytics.facts import rebuild
from bot.console.accounts import AccountStore
from bot.datastores import PostgresServer
from bot.db import ensure_postgres_database, make_engine, make_session_factory
from bot.deployment import desk_args
from bot.desk.migrate import upgrade_database
from bot.desk.models import Conversation, Handoff, HandoffStatus, Message, Role, Sender
from bot.kb.feedback import KbQuestion
from bot.serving import ROOT, free_port
from bot.studio.inbox import ReviewGroup, ReviewItem

CHANNELS = ["web"] * 6 + ["whatsapp", "telegram", "messenger", "sms"]
INTENTS = ["track_order", "check_refund_policy", "cancel_order", "change_shipping_address", "get_invoice",
           "payment_issue", "delivery_period", "complaint", "thank", "goodbye", "greet"]
LEAD = ("bench-lead", "bench-lead-password")
TARGET_S = 1.0


def populate(url: str, conversations: int, messages: int, days: int = 90, batch: int = 20_000) -> None:
    rng = random.Random(11)
    per = max(2, messages // conversations)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    accounts = AccountStore(sessions)
    agents = [accounts.create(f"bench-agent-{i}", f"Agent {i}", "bench-password", Role.agent).id for i in range(8)]
    accounts.create(*LEAD[:1], "Bench lead", LEAD[1], Role.lead)
    now = datetime.now(timezone.utc)
    rows = {"conversations": [], "messages": [], "handoffs": [], "kb": []}
    written = 0
    with sessions.begin() as session:
        session.add(ReviewGroup(id=1, vector=np.zeros(4, dtype=np.float32).tobytes()))

    def flush(final: bool = False) -> None:
        if final or len(rows["messages"]) >= batch:
            with engine.begin() as connection:
                for table, model in (("conversations", Conversation), ("messages", Message),
                                     ("handoffs", Handoff), ("kb", KbQuestion)):
                    if rows[table]:
                        connection.execute(insert(model), rows[table])
                        rows[table].clear()
            print(f"  {written:,} conversations written", end="\r", flush=True)

    for n in range(conversations):
        cid = str(uuid.uuid4())
        start = now - timedelta(seconds=rng.randint(0, days * 86400))
        rows["conversations"].append({"id": cid, "token_hash": "bench", "channel": rng.choice(CHANNELS),
                                      "created_at": start, "mode": "bot", "demo": False,
                                      "survey_asked_at": start if n % 5 == 0 else None,
                                      "solved": (n % 3 != 0) if n % 10 == 0 else None})
        at = start
        for turn in range(per // 2):
            at += timedelta(seconds=rng.randint(5, 90))
            intent = "nlu_fallback" if rng.random() < 0.1 else rng.choice(INTENTS)
            analysis = {"mode": "bot", "intent": {"name": intent, "confidence": 0.8}}
            if rng.random() < 0.05:
                analysis["kb_declined"] = True
            rows["messages"].append({"conversation_id": cid, "sender": Sender.customer, "text": "bench message",
                                     "created_at": at, "analysis": analysis, "status": "answered"})
            rows["messages"].append({"conversation_id": cid, "sender": Sender.bot, "text": "bench reply",
                                     "created_at": at + timedelta(seconds=1), "analysis": None, "status": None})
        if n % 5 == 1:
            claimed = rng.random() < 0.9
            opened = at + timedelta(seconds=2)
            rows["handoffs"].append({
                "conversation_id": cid, "reasons": [{"code": rng.choice(["customer_request", "very_angry",
                                                                         "not_understood"]), "detail": ""}],
                "summary": {}, "priority": 1.0, "created_at": opened,
                "status": HandoffStatus.resolved if claimed else HandoffStatus.queued,
                "agent_id": rng.choice(agents) if claimed else None,
                "claimed_at": opened + timedelta(seconds=rng.randint(10, 900)) if claimed else None,
                "first_reply_at": opened + timedelta(seconds=rng.randint(920, 1200)) if claimed else None,
                "closed_at": opened + timedelta(seconds=rng.randint(1300, 4000)) if claimed else None,
                "rating": rng.randint(1, 5) if claimed and rng.random() < 0.6 else None})
        if n % 3 == 0:
            rows["kb"].append({"conversation_id": cid, "question": "bench question", "answered": rng.random() < 0.8,
                               "helpful": rng.choice([True, False, None]), "created_at": start})
        written = n + 1
        flush()
    flush(final=True)
    print()
    with sessions.begin() as session:  # review items for "top unanswered" (a few thousand)
        ids = [m.id for m in session.query(Message.id).filter(Message.sender == Sender.customer).limit(5000)]
        session.execute(insert(ReviewItem), [
            {"message_id": mid, "conversation_id": "bench", "group_id": 1, "text": "bench", "reasons": ["fallback"],
             "created_at": now - timedelta(days=rng.randint(0, days))} for mid in ids])
    engine.dispose()


def timed_requests(url: str, workdir: Path) -> list[tuple[str, float, float]]:
    port = free_port()
    env = {**os.environ, "ASSISTANT_DATABASE_URL": url, "ASSISTANT_SESSION_SECRET": secrets.token_hex(16),
           "ASSISTANT_RASA_URL": f"http://127.0.0.1:{free_port()}", "ASSISTANT_RUN_DIR": str(workdir / "run"),
           "ASSISTANT_KB_INDEX_DIR": str(ROOT / "var" / "kb-index")}
    log = (workdir / "desk.log").open("wb")
    desk = subprocess.Popen([sys.executable, *desk_args("127.0.0.1", port)], env=env, stdout=log,
                            stderr=subprocess.STDOUT, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or desk.poll() is not None:
                raise SystemExit(f"the desk did not start; see {workdir / 'desk.log'}")
            time.sleep(0.5)
        lead = httpx.Client(base_url=base, timeout=120)
        assert lead.post("/api/console/login", json={"username": LEAD[0], "password": LEAD[1]}).status_code == 200
        today = datetime.now(timezone.utc).date()
        last30 = {"since": str(today - timedelta(days=29)), "until": str(today)}
        requests = [("report, last 30 days", "/api/analytics/report", last30),
                    ("report, last 90 days", "/api/analytics/report",
                     {"since": str(today - timedelta(days=89)), "until": str(today)}),
                    ("report, 30 days, web only", "/api/analytics/report", {**last30, "channel": "web"}),
                    ("CSV export (by day), 90 days", "/api/analytics/report.csv",
                     {"since": str(today - timedelta(days=89)), "until": str(today), "table": "trend"}),
                    ("drill-down: escalated, 30 days", "/api/analytics/conversations", {**last30, "figure": "escalated"}),
                    ("drill-down: abandoned, 30 days", "/api/analytics/conversations", {**last30, "figure": "abandoned"})]
        results = []
        for name, path, params in requests:
            times = []
            for _ in range(6):
                began = time.perf_counter()
                response = lead.get(path, params=params)
                times.append(time.perf_counter() - began)
                assert response.status_code == 200, response.text
            results.append((name, times[0], statistics.median(times[1:])))
        return results
    finally:
        desk.terminate()
        desk.wait(timeout=30)
        log.close()


def run_on(kind: str, conversations: int, messages: int, workdir: Path) -> list[str]:
    server = None
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'analytics.db'}"
    else:
        workdir.chmod(0o755)  # PostgreSQL runs as its own user, inside this folder
        server = PostgresServer(workdir / "postgres")
        server.start(durable=False)
        url = ensure_postgres_database(server.server_url + "postgres", "bench_analytics")
    try:
        upgrade_database(url)
        print(f"[{kind}] writing {conversations:,} conversations, {messages:,} messages ...", flush=True)
        began = time.perf_counter()
        populate(url, conversations, messages)
        print(f"[{kind}] written in {time.perf_counter() - began:.0f} s; rebuilding the facts ...", flush=True)
        began = time.perf_counter()
        engine = make_engine(url)
        done = rebuild(make_session_factory(engine), progress=lambda n, total: print(
            f"  {n:,}/{total:,} conversations", end="\r", flush=True))
        engine.dispose()
        rebuilt = time.perf_counter() - began
        print(f"\n[{kind}] facts for {done:,} conversations in {rebuilt:.0f} s; timing the desk's API ...", flush=True)
        lines = [f"| {kind} | {name} | {cold * 1000:.0f} | {warm * 1000:.0f} | {'yes' if warm < TARGET_S else 'NO'} |"
                 for name, cold, warm in timed_requests(url, workdir)]
        return lines + [f"| {kind} | `assistant analytics rebuild` (once, after an upgrade) | {rebuilt * 1000:.0f} | | |"]
    finally:
        if server is not None:
            server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma list: sqlite, postgresql")
    args = parser.parse_args()
    lines = ["| database | request | cold ms | median ms (5) | under 1 s |", "|---|---|---:|---:|:-:|"]
    for kind in args.databases.split(","):
        with tempfile.TemporaryDirectory() as workdir:
            lines += run_on(kind.strip(), args.conversations, args.messages, Path(workdir))
    print(f"\n{args.conversations:,} conversations, {args.messages:,} messages:\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
