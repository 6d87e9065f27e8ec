"""The delivery outbox keeps order per conversation, backs off on provider errors, gives up
on permanent ones, and a new worker (a restarted desk) sends what was left unsent."""

from __future__ import annotations

import asyncio

from bot.channels.models import Delivery
from bot.channels.outbox import Outbox, OutboxWorker, SendFailed
from bot.desk.conversations import ConversationStore


def test_a_restarted_worker_sends_what_was_left_in_order(sessions):
    conversations = ConversationStore(sessions)
    first, second = conversations.create("telegram").id, conversations.create("telegram").id
    outbox = Outbox(sessions, base_delay_s=0.01)
    outbox.enqueue(first, "telegram", "1", [(None, {"text": "a"}), (None, {"text": "b"})])
    outbox.enqueue(second, "telegram", "2", [(None, {"text": "x"})])
    outbox.enqueue(first, "telegram", "1", [(None, {"text": "c"})])
    sent: list[tuple[str, str]] = []
    failures = {"b": 2}  # "b" fails twice with a 5xx, then goes through

    async def send(recipient: str, payload: dict) -> None:
        if failures.get(payload["text"], 0):
            failures[payload["text"]] -= 1
            raise SendFailed("500 Internal", retry=True)
        sent.append((recipient, payload["text"]))

    async def run_worker() -> None:
        worker = OutboxWorker(outbox, {"telegram": send}, poll_s=0.01)
        worker.start()
        for _ in range(300):
            if len(sent) == 4:
                break
            await asyncio.sleep(0.01)
        await worker.stop()

    asyncio.run(run_worker())
    assert [text for recipient, text in sent if recipient == "1"] == ["a", "b", "c"]
    assert ("2", "x") in sent
    with sessions() as session:
        b = next(d for d in session.query(Delivery) if d.payload["text"] == "b")
    assert (b.status.value, b.attempts) == ("sent", 3)


def test_a_permanent_failure_is_marked_and_does_not_block_forever(sessions):
    cid = ConversationStore(sessions).create("telegram").id
    outbox = Outbox(sessions, base_delay_s=0.01, max_attempts=3)
    [bad, good] = outbox.enqueue(cid, "telegram", "1", [(None, {"text": "blocked"}), (None, {"text": "next"})])
    delivered: list[str] = []

    async def send(_: str, payload: dict) -> None:
        if payload["text"] == "blocked":
            raise SendFailed("403 Forbidden: bot was blocked by the user", retry=False)
        delivered.append(payload["text"])

    async def run_worker() -> None:
        worker = OutboxWorker(outbox, {"telegram": send}, poll_s=0.01)
        worker.start()
        for _ in range(200):
            if delivered:
                break
            await asyncio.sleep(0.01)
        await worker.stop()

    asyncio.run(run_worker())
    views = {v.id: v for v in outbox.for_conversation(cid)}
    assert (views[bad].status, views[bad].attempts) == ("failed", 1)
    assert "blocked by the user" in views[bad].last_error
    assert views[good].status == "sent" and delivered == ["next"]


def test_a_retry_goes_out_at_its_time_however_seldom_the_worker_looks_otherwise(sessions):
    """An idle worker looks for leftovers rarely; a provider's Retry-After is still kept."""
    cid = ConversationStore(sessions).create("telegram").id
    outbox = Outbox(sessions)
    outbox.enqueue(cid, "telegram", "1", [(None, {"text": "your parcel left the depot"})])
    attempts: list[float] = []

    async def send(_: str, payload: dict) -> None:
        attempts.append(asyncio.get_running_loop().time())
        if len(attempts) == 1:
            raise SendFailed("429 Too Many Requests", retry=True, retry_after_s=0.3)

    async def run_worker() -> None:
        worker = OutboxWorker(outbox, {"telegram": send}, poll_s=60)
        worker.start()
        for _ in range(300):
            if len(attempts) == 2:
                break
            await asyncio.sleep(0.01)
        await worker.stop()

    asyncio.run(run_worker())
    assert len(attempts) == 2 and 0.25 <= attempts[1] - attempts[0] < 2.5
    [view] = outbox.for_conversation(cid)
    assert (view.status, view.attempts) == ("sent", 2)
