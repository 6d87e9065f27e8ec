"""Evaluate NLU pipelines through Rasa itself: `rasa train nlu`, then the trained model parses
each test message one at a time (bench/nlu_predict.py, in the Rasa env).

For each pipeline (config.yml's, and candidates in bench/nlu_pipelines/):
- 5-fold cross-validation of data/nlu, with the answer/decline trade per confidence bar;
- the held-out sets tests/nlu_heldout*.yml (written apart from data/nlu, never tuned on);
- BANKING77 (a fixed stratified 20% of train.csv), CLINC150 (train -> val, out-of-scope
  recall), HWU64 (train -> valid), each when its path is given;
- the whole `rasa train` from scratch (empty caches) and parse latency, for config.yml.

    .venv/bin/python -m bench.nlu_pipelines --banking77 ../shared/data/banking77 \
        --clinc150 ../shared/data/clinc150 --hwu64 ../shared/data/hwu64

Writes reports/nlu/results.json and results.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import yaml
from sklearn.metrics import f1_score

from bench.timing import percentile
from bot.nlu.data import Example, plain, read_rasa_nlu, write_rasa_nlu

ROOT = Path(__file__).resolve().parents[1]
RASA_BIN = ROOT / ".venv-rasa" / "bin"
CANDIDATES = ROOT / "bench" / "nlu_pipelines"
FALLBACK = "nlu_fallback"
OOS = "oos"
BARS = (0.2, 0.3, 0.4, 0.5, 0.6)

def stratified_folds(examples: list[Example], k: int, seed: int = 0) -> list[list[int]]:
    by_intent: dict[str, list[int]] = defaultdict(list)
    for i, (_, intent) in enumerate(examples):
        by_intent[intent].append(i)
    folds: list[list[int]] = [[] for _ in range(k)]
    rng = random.Random(seed)
    offset = 0
    for intent in sorted(by_intent):
        indices = by_intent[intent]
        rng.shuffle(indices)
        for j, index in enumerate(indices):
            folds[(j + offset) % k].append(index)
        offset += len(indices)
    return folds


def rasa_env() -> dict[str, str]:
    return dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2",
                PYTHONWARNINGS="ignore")


def pipeline_config(source: Path, work: Path, embedding_cache: Path | None) -> Path:
    """A copy of the config whose sentence featurizer caches vectors in `embedding_cache`
    (None: no cache, every vector computed, as in a training from scratch)."""
    config = yaml.safe_load(source.read_text())
    for component in config.get("pipeline") or []:
        if component["name"].endswith("SentenceEncoderFeaturizer"):
            component["embedding_cache"] = str(embedding_cache) if embedding_cache else None
    path = work / f"config-{source.stem}.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def run_rasa(args: list[str], env: dict[str, str]) -> None:
    """Runs a Rasa command quietly; on failure shows the end of what it printed."""
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:3])} failed:\n{(done.stdout + done.stderr)[-3000:]}")


def train_nlu(config: Path, data: list[Path], work: Path, name: str) -> tuple[Path, float]:
    """Trains on the files in `data` (copied into one folder: `--nlu` takes one path)."""
    folder = work / f"data-{name}"
    folder.mkdir()
    for i, path in enumerate(data):
        shutil.copy(path, folder / f"{i}-{path.name}")
    started = time.perf_counter()
    run_rasa([str(RASA_BIN / "rasa"), "train", "nlu", "--config", str(config),
              "--nlu", str(folder), "--out", str(work / "models"),
              "--fixed-model-name", name], dict(rasa_env(), RASA_CACHE_DIRECTORY=str(work / f"cache-{name}")))
    return work / "models" / f"{name}.tar.gz", time.perf_counter() - started


def predict(model: Path, texts: list[str], work: Path) -> list[dict[str, Any]]:
    source, target = work / "texts.json", work / "predictions.json"
    source.write_text(json.dumps(texts))
    run_rasa([str(RASA_BIN / "python"), "-m", "bench.nlu_predict", str(model), str(source), str(target)],
             rasa_env())
    return json.loads(target.read_text())


def scores(labels: list[str], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy counts a decline (nlu_fallback) as wrong, as a customer would."""
    predicted = [r["intent"] for r in rows]
    correct = sum(p == y for p, y in zip(predicted, labels))
    return {"n": len(labels), "accuracy": round(correct / len(labels), 4),
            "top_accuracy": round(sum(r["top"] == y for r, y in zip(rows, labels)) / len(labels), 4),
            "macro_f1": round(f1_score(labels, predicted, average="macro", zero_division=0), 4),
            "declined": round(sum(p == FALLBACK for p in predicted) / len(labels), 4)}


def answer_decline(labels: list[str], rows: list[dict[str, Any]]) -> list[dict[str, float]]:
    """For each confidence bar: how many messages would be answered, and how many of those right."""
    table = []
    for bar in BARS:
        answered = [(r, y) for r, y in zip(rows, labels) if r["confidence"] >= bar]
        right = sum(r["top"] == y for r, y in answered)
        table.append({"bar": bar, "answered": round(len(answered) / len(labels), 4),
                      "accuracy_answered": round(right / len(answered), 4) if answered else 0.0,
                      "right_overall": round(right / len(labels), 4)})
    return table


def confusions(labels: list[str], texts: list[str], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    errors = [{"text": t, "label": y, "predicted": r["intent"], "top": r["top"],
               "confidence": round(r["confidence"], 3)} for t, y, r in zip(texts, labels, rows) if r["intent"] != y]
    return sorted(errors, key=lambda e: (e["label"], e["predicted"]))


def own_data(config: Path, work: Path, folds: int, heldout: list[Path]) -> dict[str, Any]:
    nlu_files = sorted((ROOT / "data" / "nlu").glob("*.yml"))
    regex = ROOT / "data" / "regex.yml"
    examples = read_rasa_nlu(nlu_files)
    labels_all, rows_all, texts_all = [], [], []
    times = []
    for k, test_idx in enumerate(stratified_folds(examples, folds)):
        test = set(test_idx)
        write_rasa_nlu([e for i, e in enumerate(examples) if i not in test], work / "fold-train.yml")
        model, seconds = train_nlu(config, [work / "fold-train.yml", regex], work, f"fold{k}")
        times.append(seconds)
        texts = [plain(examples[i][0]) for i in test_idx]
        rows_all += predict(model, texts, work)
        labels_all += [examples[i][1] for i in test_idx]
        texts_all += texts
        print(f"    fold {k + 1}/{folds}: trained in {seconds:.0f} s", flush=True)
    cross_validation = {**scores(labels_all, rows_all), "folds": folds,
                        "answer_decline": answer_decline(labels_all, rows_all)}
    model, train_s = train_nlu(config, [*nlu_files, regex], work, "full")
    sets, latencies = {}, []
    for path in heldout:
        held = read_rasa_nlu([path])
        held_texts, held_labels = [plain(t) for t, _ in held], [y for _, y in held]
        rows = predict(model, held_texts, work)
        latencies += [r["ms"] for r in rows]
        sets[path.stem] = {**scores(held_labels, rows), "answer_decline": answer_decline(held_labels, rows),
                           "errors": confusions(held_labels, held_texts, rows)}
    return {"train_examples": len(examples), "nlu_train_seconds": round(train_s, 1),
            "cross_validation": {**cross_validation, "errors": confusions(labels_all, texts_all, rows_all)},
            "heldout": sets,
            "parse_ms": {"median": round(statistics.median(latencies), 2),
                         "p95": round(percentile(latencies, 0.95), 2), "n": len(latencies)}}


def train_and_score(config: Path, work: Path, name: str, train: list[Example],
                    test: list[Example]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    write_rasa_nlu(train, work / f"{name}-train.yml")
    model, seconds = train_nlu(config, [work / f"{name}-train.yml"], work, name)
    rows = predict(model, [t for t, _ in test], work)
    return {"train_examples": len(train), "train_seconds": round(seconds, 1),
            **scores([y for _, y in test], rows)}, rows


def clean(text: str) -> str:
    """Public data sets' texts as Rasa examples: brackets would read as entity annotations."""
    return " ".join(text.replace("[", "(").replace("]", ")").split())


def banking77(config: Path, work: Path, path: Path) -> dict[str, Any]:
    import csv

    with (path / "train.csv").open() as f:
        examples = [(clean(r["text"]), r["category"]) for r in csv.DictReader(f)]
    test_idx = set(stratified_folds(examples, 5, seed=0)[0])
    train = [e for i, e in enumerate(examples) if i not in test_idx]
    test = [e for i, e in enumerate(examples) if i in test_idx]
    result, _ = train_and_score(config, work, "banking77", train, test)
    return {**result, "split": "fixed stratified 20% of train.csv (seed 0) as test"}


def clinc150(config: Path, work: Path, path: Path) -> dict[str, Any]:
    data = json.loads((path / "data_full_trainval.json").read_text())
    train = [(clean(t), y) for t, y in data["train"]] + [(clean(t), OOS) for t, _ in data["oos_train"]]
    test = [(clean(t), y) for t, y in data["val"]] + [(clean(t), OOS) for t, _ in data["oos_val"]]
    result, rows = train_and_score(config, work, "clinc150", train, test)
    in_scope = [(r, y) for r, (_, y) in zip(rows, test) if y != OOS]
    out = [r for r, (_, y) in zip(rows, test) if y == OOS]
    return {**result, "in_scope_accuracy": round(sum(r["intent"] == y for r, y in in_scope) / len(in_scope), 4),
            "oos_recall": round(sum(r["intent"] in (OOS, FALLBACK) for r in out) / len(out), 4),
            "note": "out-of-scope: predicted 'oos' (trained on oos_train) or declined by config.yml's "
                    "fallback bar, which was chosen on data/nlu, not on CLINC150"}


def hwu64(config: Path, work: Path, path: Path) -> dict[str, Any]:
    def split(name: str) -> list[Example]:
        texts = (path / name / "seq.in").read_text().splitlines()
        labels = (path / name / "label").read_text().splitlines()
        return [(clean(t), y.strip()) for t, y in zip(texts, labels)]

    result, _ = train_and_score(config, work, "hwu64", split("train"), split("valid"))
    return result


def full_training(work: Path) -> float:
    """`rasa train` (NLU and dialogue) of the project from scratch: no Rasa cache, no vectors cached."""
    config = pipeline_config(ROOT / "config.yml", work, None)
    started = time.perf_counter()
    run_rasa([str(RASA_BIN / "rasa"), "train", "--config", str(config), "--domain", "domain.yml",
              "--data", "data", "--out", str(work / "full-models")],
             dict(rasa_env(), RASA_CACHE_DIRECTORY=str(work / "cache-full")))
    return round(time.perf_counter() - started, 1)


def _cell(scored: dict[str, Any] | None) -> str:
    return f"{scored['accuracy']:.3f}" if scored else "-"


def report(results: dict[str, Any]) -> str:
    lines = ["| pipeline | own CV acc | own held-out acc | BANKING77 acc | CLINC150 in-scope / OOS recall | HWU64 acc | NLU train (s) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, r in results["pipelines"].items():
        own = r.get("own", {})
        clinc = r.get("clinc150")
        clinc_cell = f"{clinc['in_scope_accuracy']:.3f} / {clinc['oos_recall']:.3f}" if clinc else "-"
        held = " / ".join(_cell(h) for h in own.get("heldout", {}).values()) or "-"
        lines.append(f"| {name} | {_cell(own.get('cross_validation'))} | {held} | "
                     f"{_cell(r.get('banking77'))} | {clinc_cell} | {_cell(r.get('hwu64'))} | "
                     f"{own.get('nlu_train_seconds', '-')} |")
    if "full_train_seconds" in results:
        lines.append(f"\nWhole `rasa train` from scratch: {results['full_train_seconds']} s.")
    chosen = results["pipelines"].get("config", {}).get("own")
    if chosen:
        lines.append(f"Parse latency (held-out messages, one at a time): median {chosen['parse_ms']['median']} ms, "
                     f"p95 {chosen['parse_ms']['p95']} ms.")
        lines += ["", "Answer or decline by confidence bar (config.yml's pipeline; held-out sets pooled):", "",
                  "| bar | CV answered | CV accuracy answered | held-out answered | held-out accuracy answered |",
                  "|---:|---:|---:|---:|---:|"]
        held_sets = list(chosen["heldout"].values())
        for i, cv in enumerate(chosen["cross_validation"]["answer_decline"]):
            n = sum(h["n"] for h in held_sets)
            answered = sum(h["answer_decline"][i]["answered"] * h["n"] for h in held_sets)
            right = sum(h["answer_decline"][i]["right_overall"] * h["n"] for h in held_sets)
            lines.append(f"| {cv['bar']} | {cv['answered']:.3f} | {cv['accuracy_answered']:.3f} | "
                         f"{answered / n:.3f} | {right / answered if answered else 0:.3f} |")
        for title, errors in [("Cross-validation", chosen["cross_validation"]["errors"]),
                              *((f"Held-out set {k}", h["errors"]) for k, h in chosen["heldout"].items())]:
            pairs = Counter((e["label"], e["predicted"]) for e in errors)
            lines += ["", f"{title}: errors, most common (label -> predicted):", ""]
            lines += [f"- {label} -> {predicted}: {n}" for (label, predicted), n in pairs.most_common(12)]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="*", default=["config", "logreg"],
                        help="'config' is config.yml; others are bench/nlu_pipelines/NAME.yml")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--heldout", type=Path, nargs="+", default=sorted((ROOT / "tests").glob("nlu_heldout*.yml")))
    parser.add_argument("--banking77", type=Path)
    parser.add_argument("--clinc150", type=Path)
    parser.add_argument("--hwu64", type=Path)
    parser.add_argument("--skip-full-train", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "nlu")
    args = parser.parse_args()
    results: dict[str, Any] = {"pipelines": {}}
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.configs:
            work = Path(tmp) / name
            work.mkdir()
            source = ROOT / "config.yml" if name == "config" else CANDIDATES / f"{name}.yml"
            config = pipeline_config(source, work, work / "vectors.npz")
            r: dict[str, Any] = {}
            print(f"[{name}] own data: {args.folds}-fold cross-validation and the held-out sets", flush=True)
            r["own"] = own_data(config, work, args.folds, args.heldout)
            for dataset, run in (("banking77", banking77), ("clinc150", clinc150), ("hwu64", hwu64)):
                path = getattr(args, dataset)
                if path:
                    print(f"[{name}] {dataset} ...", flush=True)
                    r[dataset] = run(config, work, path)
                    print(f"[{name}] {dataset}: {json.dumps({k: v for k, v in r[dataset].items() if k != 'note'})}", flush=True)
            results["pipelines"][name] = r
            (args.out / "results.json").write_text(json.dumps(results, indent=2))
        if not args.skip_full_train:
            print("[config] whole `rasa train` from scratch ...", flush=True)
            results["full_train_seconds"] = full_training(Path(tmp))
    (args.out / "results.json").write_text(json.dumps(results, indent=2))
    table = report(results)
    (args.out / "results.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
