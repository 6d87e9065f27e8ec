"""Telegram's turn next to the widget's: from the webhook arriving to the last reply handed
to the provider (a fake Bot API on loopback), against the widget's REST turn for the same
messages on the same stack (target: p95 no more than 1.1x the widget's).

    .venv/bin/python -m bench.channel_latency -n 100
"""

from __future__ import annotations

import argparse
import json
import secrets
import tempfile
import time
from pathlib import Path

import httpx

from bench.timing import summary_ms
from bot.launcher import ROOT, Stack
from bot.training import ensure_model
from tests.fakes.telegram import FakeTelegram

MESSAGES = ["hi", "can I pay with paypal?", "how long do I have to return something?", "thanks",
            "do you ship to canada", "what is your phone number for customer support"]
TOKEN = "1:bench"


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


def telegram_turns(desk: str, fake: FakeTelegram, secret: str, texts: list[str], chat: int,
                   replies: dict[str, int]) -> list[float]:
    """Webhook in to the turn's last reply at the fake Bot API, in one chat."""
    client = httpx.Client(base_url=desk, timeout=60)
    samples = []
    for n, text in enumerate(texts):
        expected = len(fake.arrivals(chat)) + replies[text]
        started = time.perf_counter()
        update = {"update_id": chat * 10_000 + n, "message": {
            "message_id": n, "date": int(time.time()), "text": text,
            "chat": {"id": chat, "type": "private"}, "from": {"id": chat, "first_name": "B"}}}
        client.post("/webhooks/telegram", json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": secret}).raise_for_status()
        deadline = time.monotonic() + 30
        while len(fake.arrivals(chat)) < expected:
            if time.monotonic() > deadline:
                raise SystemExit(f"replies to {text!r} did not all arrive")
            time.sleep(0.002)
        samples.append((fake.arrivals(chat)[expected - 1] - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=120)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "channels")
    args = parser.parse_args()
    texts = [MESSAGES[i % len(MESSAGES)] for i in range(args.n)]
    fake = FakeTelegram(TOKEN).start()
    secret = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack.isolated(ensure_model(), Path(tmp), env={
            "ASSISTANT_TELEGRAM_BOT_TOKEN": TOKEN, "ASSISTANT_TELEGRAM_SECRET_TOKEN": secret,
            "ASSISTANT_TELEGRAM_API_URL": fake.url})
        stack.start()
        try:
            stack.wait_healthy(timeout_s=240)
            replies: dict[str, int] = {}
            widget_turns(stack.desk_url, texts[:12], replies)  # warm-up, not counted
            telegram_turns(stack.desk_url, fake, secret, texts[:12], 1, replies)
            widget, telegram = [], []
            for start in range(0, args.n, 20):  # interleaved, so both see the same machine
                chunk = texts[start:start + 20]
                widget += widget_turns(stack.desk_url, chunk, replies)
                telegram += telegram_turns(stack.desk_url, fake, secret, chunk, 100 + start, replies)
        finally:
            stack.stop()
            fake.stop()
    result = {"widget_rest_turn": summary_ms(widget), "telegram_webhook_to_provider": summary_ms(telegram)}
    result["p95_ratio"] = round(result["telegram_webhook_to_provider"]["p95_ms"]
                                / result["widget_rest_turn"]["p95_ms"], 3)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latency.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
