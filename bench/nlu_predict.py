"""Parses messages with a trained Rasa model, one at a time as the server does; run with
the Rasa env's python (bench/nlu_pipelines.py calls it).

    .venv-rasa/bin/python -m bench.nlu_predict MODEL.tar.gz texts.json predictions.json

texts.json is a list of strings; predictions.json gets, per text, the intent Rasa reports
(nlu_fallback included), the classifier's own top two with confidences, and the parse time.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from rasa.core.agent import Agent

FALLBACK = "nlu_fallback"


async def predict(model: str, texts: list[str]) -> list[dict]:
    agent = Agent.load(model)
    await agent.parse_message("warm up")
    rows = []
    for text in texts:
        started = time.perf_counter()
        parsed = await agent.parse_message(text)
        elapsed_ms = (time.perf_counter() - started) * 1000
        ranking = [r for r in parsed.get("intent_ranking") or [] if r["name"] != FALLBACK]
        first = ranking[0] if ranking else {"name": None, "confidence": 0.0}
        second = ranking[1] if len(ranking) > 1 else {"name": None, "confidence": 0.0}
        rows.append({"intent": (parsed.get("intent") or {}).get("name"),
                     "top": first["name"], "confidence": first["confidence"],
                     "second": second["name"], "second_confidence": second["confidence"],
                     "ms": round(elapsed_ms, 3)})
    return rows


def main() -> None:
    model, texts_path, out = sys.argv[1:4]
    texts = json.loads(Path(texts_path).read_text())
    Path(out).write_text(json.dumps(asyncio.run(predict(model, texts))))


if __name__ == "__main__":
    main()
