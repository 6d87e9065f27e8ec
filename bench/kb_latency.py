"""Knowledge-base scale benchmark: build time, query latency and memory at 1k-100k passages.

The store's articles are padded with generated filler passages to each size. Query
latency includes embedding the query. Also measures re-indexing after a one-article edit.

    .venv/bin/python -m bench.kb_latency --sizes 1000 10000 100000 --queries data/kb_eval.yml
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path

import yaml

from bench.timing import summary_ms
from bot.encoder import Encoder
from bot.kb.base import KnowledgeBase
from bot.kb.filler import generate_filler
from bot.kb.index import HybridWeights
from bot.launcher import ROOT
from bot.settings import get_settings


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--queries", type=Path, default=ROOT / "data" / "kb_eval.yml")
    parser.add_argument("-n", type=int, default=200, help="queries per size")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "kb_latency")
    args = parser.parse_args()
    settings = get_settings()
    questions = [q["question"] for q in yaml.safe_load(args.queries.read_text())["questions"]][: args.n]
    encoder = Encoder(settings.kb_model_path, settings.kb_model_sha256, threads=args.threads)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "knowledge_base"
        shutil.copytree(ROOT / settings.kb_folder, folder)
        kb = KnowledgeBase(folder, ROOT / "var" / "kb-index", encoder,
                           HybridWeights(settings.kb_dense_weight, settings.kb_bm25_saturation,
                                         settings.kb_support_weight))
        base = kb.reload().passages
        for size in sorted(args.sizes):
            filler = generate_filler(max(0, size - base))
            print(f"[{size}] building (embedding what is not cached yet) ...", flush=True)
            build = kb.reload(extra_passages=filler, progress=True)
            kb.search(questions[0])  # warm-up
            latencies = []
            for question in questions:
                started = time.perf_counter()
                kb.rank_articles(question, k=3)
                latencies.append((time.perf_counter() - started) * 1000)
            article = folder / sorted(p.name for p in folder.glob("*.md"))[0]
            article.write_text(article.read_text().replace("\n## ", "\nAn edited sentence.\n\n## ", 1))
            edit = kb.reload(extra_passages=filler)
            latency = summary_ms(latencies)
            rows.append({
                "passages": len(kb.index), "build_seconds": round(build.seconds, 2),
                "embedded_during_build": build.embedded,
                "query_median_ms": latency["median_ms"], "query_p95_ms": latency["p95_ms"],
                "reindex_after_edit_seconds": round(edit.seconds, 2),
                "reembedded_after_edit": edit.embedded,
                "peak_rss_mb": round(peak_rss_mb()),
            })
            print(json.dumps(rows[-1]), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(rows, indent=2))
    table = ["| passages | build (s) | embedded | query median (ms) | query p95 (ms) | re-index after edit (s) | peak RSS (MB) |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    table += [f"| {r['passages']} | {r['build_seconds']} | {r['embedded_during_build']} | {r['query_median_ms']} | "
              f"{r['query_p95_ms']} | {r['reindex_after_edit_seconds']} | {r['peak_rss_mb']} |" for r in rows]
    (args.out / "results.md").write_text("\n".join(table) + "\n")
    print("\n".join(table))


if __name__ == "__main__":
    main()
