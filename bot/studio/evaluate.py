"""Score a Rasa server on the project's NLU evaluation set, through its HTTP API.

The set (tests/nlu_heldout*.yml) is never trained on; scoring the candidate and the active
model on it through their own servers is exactly what customers would get from each.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from bot.nlu.data import plain, read_rasa_nlu

EVALUATION_SETS = ("tests/nlu_heldout.yml", "tests/nlu_heldout_b.yml")


@dataclass(frozen=True)
class Score:
    accuracy: float
    correct: int
    total: int
    seconds: float


def evaluation_set(project: Path) -> list[tuple[str, str]]:
    paths = [project / name for name in EVALUATION_SETS if (project / name).exists()]
    return [(plain(text), intent) for text, intent in read_rasa_nlu(paths)]


def score_server(url: str, token: str, examples: list[tuple[str, str]],
                 progress: Callable[[int, int], None] | None = None, workers: int = 2) -> Score:
    """Accuracy of the server's top intent (a fallback counts as wrong)."""
    started = time.perf_counter()
    with httpx.Client(base_url=url, timeout=30) as client:
        def predict(text: str) -> str:
            response = client.post("/model/parse", params={"token": token}, json={"text": text})
            response.raise_for_status()
            return (response.json().get("intent") or {}).get("name") or ""

        correct = 0
        with ThreadPoolExecutor(workers) as pool:
            for done, (predicted, (_, intent)) in enumerate(
                    zip(pool.map(predict, [text for text, _ in examples]), examples), start=1):
                correct += predicted == intent
                if progress and done % 100 == 0:
                    progress(done, len(examples))
    total = len(examples)
    return Score(round(correct / total, 4) if total else 0.0, correct, total,
                 round(time.perf_counter() - started, 1))


class ScoreCache:
    """Scores by the model file's and the evaluation set's content: a model is scored once,
    so the active model (scored when it was the candidate) costs nothing at the next publish."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def _path(self, model: Path, examples: list[tuple[str, str]]) -> Path:
        digest = hashlib.sha256()
        with model.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        digest.update(json.dumps(examples).encode())
        return self._folder / f"{digest.hexdigest()[:24]}.json"

    def known(self, model: Path | None, examples: list[tuple[str, str]]) -> Score | None:
        path = self._path(model, examples) if model is not None and model.exists() else None
        return _read(path)

    def score(self, model: Path | None, examples: list[tuple[str, str]],
              compute: Callable[[], Score]) -> Score:
        path = self._path(model, examples) if model is not None and model.exists() else None
        found = _read(path)
        if found is not None:
            return found
        score = compute()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(asdict(score)))
        return score


def _read(path: Path | None) -> Score | None:
    if path is None:
        return None
    try:
        return Score(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
