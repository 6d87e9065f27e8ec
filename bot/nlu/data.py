"""Rasa NLU training files as (text, intent) pairs, for the benchmarks and the studio's evaluation."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import yaml

Example = tuple[str, str]  # (text as written in Rasa YAML, with entity annotations; intent)


def plain(text: str) -> str:
    """The text a customer typed: `[10482](order_id)` becomes `10482`."""
    return re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)


def read_rasa_nlu(paths: list[Path]) -> list[Example]:
    examples = []
    for path in paths:
        for block in (yaml.safe_load(path.read_text()) or {}).get("nlu") or []:
            if "intent" in block:
                examples += [(line[2:].strip(), block["intent"])
                             for line in block["examples"].splitlines() if line.startswith("- ")]
    return examples


def write_rasa_nlu(examples: list[Example], path: Path) -> None:
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent in examples:
        by_intent[intent].append(" ".join(text.split()))
    lines = ['version: "3.1"', "nlu:"]
    for intent, texts in by_intent.items():
        lines += [f"- intent: {intent}", "  examples: |", *(f"    - {t}" for t in texts)]
    path.write_text("\n".join(lines) + "\n")
