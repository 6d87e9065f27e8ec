"""How a turn's latency grows with the conversation: one long conversation through the desk
and, in the same run, one straight to Rasa's REST webhook, with the same messages; median
latency around turns 1, 50 and 100 (target: turn 100 within 1.5x turn 1).

    .venv/bin/python -m bench.long_conversation --turns 110
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bot.launcher import ROOT, Stack
from bot.training import ensure_model

# Different intents in turn, so that no escalation rule (a loop, repeated fallbacks) fires.
MESSAGES = ["can I pay with paypal?", "thanks", "do you ship to canada", "hi",
            "how long do I have to return something?", "what is your phone number for customer support"]
WINDOW = 5  # turns on either side of 1, 50 and 100


def desk_turns(desk: str, turns: int) -> list[float]:
    client = httpx.Client(base_url=desk, timeout=120)
    created = client.post("/api/conversations").json()
    headers = {"X-Conversation-Token": created["token"]}
    samples = []
    for n in range(turns):
        started = time.perf_counter()
        client.post(f"/api/conversations/{created['id']}/messages", json={"text": MESSAGES[n % len(MESSAGES)]},
                    headers=headers).raise_for_status()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def rasa_turns(rasa: str, turns: int, sender: str = "long-conversation") -> list[float]:
    client = httpx.Client(base_url=rasa, timeout=120)
    samples = []
    for n in range(turns):
        started = time.perf_counter()
        client.post("/webhooks/rest/webhook", json={"sender": sender,
                                                    "message": MESSAGES[n % len(MESSAGES)]}).raise_for_status()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def around(samples: list[float], turn: int) -> float:
    """Median latency of the turns around `turn` (1-based)."""
    start = max(0, turn - 1 - WINDOW) if turn > 1 else 0
    return round(statistics.median(samples[start:turn - 1 + WINDOW]), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=110)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "long-conversation")
    args = parser.parse_args()
    marks = [t for t in (1, 50, 100) if t + WINDOW <= args.turns]
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack.isolated(ensure_model(), Path(tmp))
        stack.start()
        try:
            stack.wait_healthy(timeout_s=240)
            print(f"stack up; {args.turns} turns through the desk, then straight to Rasa", flush=True)
            desk_turns(stack.desk_url, 6)  # warm-up, not counted
            desk = desk_turns(stack.desk_url, args.turns)
            rasa = rasa_turns(stack.rasa_url, args.turns)
        finally:
            stack.stop()
    result = {}
    for name, samples in (("through the desk", desk), ("Rasa's REST webhook alone", rasa)):
        row = {f"turn_{t}_ms": around(samples, t) for t in marks}
        row["ratio_last_to_first"] = round(row[f"turn_{marks[-1]}_ms"] / row["turn_1_ms"], 2)
        result[name] = row
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(result, indent=2))
    header = " | ".join(f"turn {t} (ms)" for t in marks)
    table = [f"| path | {header} | last / first |", "|---|" + "---:|" * (len(marks) + 1)]
    table += [f"| {name} | " + " | ".join(str(r[f"turn_{t}_ms"]) for t in marks) + f" | {r['ratio_last_to_first']} |"
              for name, r in result.items()]
    (args.out / "results.md").write_text("\n".join(table) + "\n")
    print("\n".join(table))


if __name__ == "__main__":
    main()
