"""Latency summaries shared by the benchmarks (median and 95th percentile, in ms)."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary_ms(samples_ms: list[float], digits: int = 1) -> dict[str, float]:
    return {"median_ms": round(statistics.median(samples_ms), digits),
            "p95_ms": round(percentile(samples_ms, 0.95), digits), "n": len(samples_ms)}


def write_latency_report(out: Path, result: dict[str, Any], first_column: str) -> str:
    """results.json and a results.md table of every latency summary in `result`; returns
    the table."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(result, indent=2))
    table = "\n".join([f"| {first_column} | n | median (ms) | p95 (ms) |", "|---|---:|---:|---:|"] + [
        f"| {name} | {r['n']} | {r['median_ms']} | {r['p95_ms']} |"
        for name, r in result.items() if isinstance(r, dict)])
    (out / "results.md").write_text(table + "\n")
    return table
