"""Compare NLU pipelines on the project's own training data: accuracy and training time.

Each candidate config in bench/nlu_pipelines/ is trained once from scratch (timed, with an
empty Rasa cache) and evaluated with k-fold cross-validation (`rasa test nlu`).

    .venv/bin/python -m bench.nlu_pipelines --folds 5 --out reports/nlu_pipelines
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
CONFIGS = ROOT / "bench" / "nlu_pipelines"


def _rasa(args: list[str], cache: Path) -> float:
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", RASA_CACHE_DIRECTORY=str(cache))
    started = time.perf_counter()
    subprocess.run([str(RASA), *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def evaluate(config: Path, folds: int, nlu_data: Path) -> dict[str, float | str]:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        print(f"[{config.stem}] training once from scratch ...", flush=True)
        train_s = _rasa(["train", "nlu", "--config", str(config), "--nlu", str(nlu_data),
                         "--out", str(tmp_path / "models")], tmp_path / "cache-train")
        print(f"[{config.stem}] {train_s:.0f} s; {folds}-fold cross-validation ...", flush=True)
        cv_s = _rasa(["test", "nlu", "--config", str(config), "--nlu", str(nlu_data),
                      "--cross-validation", "--folds", str(folds), "--out", str(tmp_path / "results")],
                     tmp_path / "cache-cv")
        report = json.loads((tmp_path / "results" / "intent_report.json").read_text())
    return {
        "config": config.stem,
        "train_seconds": round(train_s, 1),
        "cross_validation_seconds": round(cv_s, 1),
        "accuracy": round(report["accuracy"], 4),
        "macro_f1": round(report["macro avg"]["f1-score"], 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="*", default=["logreg", "diet-30"])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--nlu", type=Path, default=ROOT / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "nlu_pipelines")
    args = parser.parse_args()
    rows = [evaluate(CONFIGS / f"{name}.yml", args.folds, args.nlu) for name in args.configs]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(rows, indent=2))
    lines = ["| pipeline | train (s) | accuracy | macro F1 |", "|---|---:|---:|---:|"]
    lines += [f"| {r['config']} | {r['train_seconds']} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} |"
              for r in rows]
    (args.out / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
