"""The escalation policy on the USS dialogues: does it fire, and how early or late?

A user turn whose mean satisfaction rating is 2 or lower means the conversation should
have reached a person by then. Per dialogue: the first such turn (gold) against the first
turn where the policy escalates. The baseline escalates on the first negative message.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from bot.escalation.policy import EscalationPolicy, PolicyState, Turn
from bot.escalation.sentiment import SentimentModel, SentimentScore


def dialogues(path: Path, limit: int) -> list[list[tuple[str, float]]]:
    """User turns as (text, mean rating), per dialogue."""
    out: list[list[tuple[str, float]]] = []
    current: list[tuple[str, float]] = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines() + [""]:
        if not line.strip():
            if current:
                out.append(current)
                current = []
            if len(out) >= limit:
                break
            continue
        parts = line.split("\t")
        if parts[0] == "USER" and len(parts) >= 4 and parts[3].strip():
            ratings = [float(r) for r in parts[3].split(",") if r.strip()]
            current.append((parts[1], statistics.fmean(ratings)))
    return out


def first(flags: list[bool]) -> int | None:
    return next((i for i, flag in enumerate(flags) if flag), None)


def _escalations(policy: EscalationPolicy, turns: list[Turn]) -> list[bool]:
    """Whether the policy escalates after each turn, as the desk asks it turn by turn."""
    state, decisions = PolicyState(), []
    for turn in turns:
        state = policy.observe(state, turn)
        decisions.append(policy.judge(state, turn).escalate)
    return decisions


def evaluate(folder: Path, model: SentimentModel, policy: EscalationPolicy, per_source: int) -> dict:
    sources = sorted(p for p in folder.glob("*.txt"))
    runs = {"policy": [], "sentiment_only": []}
    gold_turns = []
    for source in sources:
        for dialogue in dialogues(source, per_source):
            scores: list[SentimentScore] = model.score_many([text for text, _ in dialogue])
            gold_turns.append(first([rating <= 2 for _, rating in dialogue]))
            turns = [Turn(text, score) for (text, _), score in zip(dialogue, scores)]
            runs["policy"].append(first(_escalations(policy, turns)))
            runs["sentiment_only"].append(first([s.negative >= policy.config["sentiment"]["negative"]
                                                 for s in scores]))
    report = {"dialogues": len(gold_turns), "should_escalate": sum(g is not None for g in gold_turns),
              "sources": [s.name for s in sources]}
    for name, predicted in runs.items():
        fired = [(g, p) for g, p in zip(gold_turns, predicted) if p is not None]
        hits = [(g, p) for g, p in fired if g is not None]
        offsets = [p - g for g, p in hits]
        report[name] = {
            "precision": round(len(hits) / len(fired), 4) if fired else 0.0,
            "recall": round(len(hits) / report["should_escalate"], 4) if report["should_escalate"] else 0.0,
            "fired": len(fired),
            "median_turns_late": statistics.median(offsets) if offsets else None,
            "early": sum(o < 0 for o in offsets), "on_time": sum(o == 0 for o in offsets),
            "late": sum(o > 0 for o in offsets),
        }
    return report
