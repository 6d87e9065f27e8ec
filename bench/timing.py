"""Latency summaries shared by the benchmarks (median and 95th percentile, in ms)."""

from __future__ import annotations

import statistics


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary_ms(samples_ms: list[float], digits: int = 1) -> dict[str, float]:
    return {"median_ms": round(statistics.median(samples_ms), digits),
            "p95_ms": round(percentile(samples_ms, 0.95), digits), "n": len(samples_ms)}
