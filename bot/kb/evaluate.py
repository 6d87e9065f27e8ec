"""Retrieval and answer/decline quality: the project's labelled set and StackFAQ.

Used by `assistant kb eval` (make eval-kb). Thresholds for the answer/decline decision
are chosen on one half of the labelled set and scored on the other (two folds), so the
reported decision figures are not tuned on the questions they are measured on.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from bot.kb.base import KnowledgeBase
from bot.kb.index import PassageIndex
from bot.kb.passages import Passage

MODES = ("bm25", "dense", "hybrid")
MIN_PRECISION = 0.95


@dataclass
class Ranked:
    """One question's article ranking under one method."""

    gold: str | None
    articles: list[str]
    top_score: float

    def rank(self) -> int | None:
        return self.articles.index(self.gold) + 1 if self.gold in self.articles else None


def load_labelled(path: Path) -> list[tuple[str, str | None]]:
    data = yaml.safe_load(path.read_text())
    return [(q["question"], None if q["article"] == "none" else q["article"]) for q in data["questions"]]


def rank_all(index: PassageIndex, encoder, questions: list[tuple[str, str | None]]) -> dict[str, list[Ranked]]:
    vectors = encoder.encode([q for q, _ in questions])
    out: dict[str, list[Ranked]] = {mode: [] for mode in MODES}
    for (question, gold), vector in zip(questions, vectors):
        for mode in MODES:
            hits = index.articles(vector, question, k=50, mode=mode)
            out[mode].append(Ranked(gold, [h.article_id for h in hits],
                                    hits[0].score if hits else float("-inf")))
    return out


def retrieval_metrics(ranked: list[Ranked]) -> dict[str, float]:
    answerable = [r for r in ranked if r.gold is not None]
    ranks = [r.rank() for r in answerable]
    return {
        "questions": len(answerable),
        "recall_at_1": round(sum(1 for k in ranks if k == 1) / len(ranks), 4),
        "recall_at_5": round(sum(1 for k in ranks if k and k <= 5) / len(ranks), 4),
        "mrr": round(sum(1 / k for k in ranks if k) / len(ranks), 4),
    }


def decision_metrics(ranked: list[Ranked], threshold: float) -> dict[str, float]:
    answered = [r for r in ranked if r.top_score >= threshold]
    correct = sum(1 for r in answered if r.gold is not None and r.articles[0] == r.gold)
    answerable = [r for r in ranked if r.gold is not None]
    unanswerable = [r for r in ranked if r.gold is None]
    return {
        "precision_of_answered": round(correct / len(answered), 4) if answered else 1.0,
        "answerable_answered": round(sum(1 for r in answerable if r.top_score >= threshold) / len(answerable), 4),
        "unanswerable_declined": round(sum(1 for r in unanswerable if r.top_score < threshold)
                                       / len(unanswerable), 4) if unanswerable else 1.0,
    }


def choose_threshold(ranked: list[Ranked]) -> float:
    """The lowest threshold whose answered questions are at least 95% right (answer as much
    as possible while staying trustworthy); if none is, the most precise one."""
    candidates = sorted({r.top_score for r in ranked})
    best, best_precision = candidates[-1], -1.0
    for threshold in candidates:
        precision = decision_metrics(ranked, threshold)["precision_of_answered"]
        if precision >= MIN_PRECISION:
            return threshold
        if precision > best_precision:
            best, best_precision = threshold, precision
    return best


def cross_calibrated(ranked: list[Ranked], seed: int = 0) -> dict[str, float]:
    order = list(range(len(ranked)))
    random.Random(seed).shuffle(order)
    halves = [[ranked[i] for i in order[::2]], [ranked[i] for i in order[1::2]]]
    folds = [decision_metrics(halves[1 - k], choose_threshold(halves[k])) for k in (0, 1)]
    return {key: round(float(np.mean([f[key] for f in folds])), 4) for key in folds[0]}


def stackfaq_passages(folder: Path) -> list[Passage]:
    passages = []
    for thread in json.loads((folder / "faq.json").read_text()):
        texts = [thread["question"]] + [f"{thread['question']}\n{a}" for a in thread["answers"]]
        passages += [Passage(id=f"{thread['id']}#{n}", article_id=thread["id"], title=thread["question"],
                             heading=thread["question"], text=text) for n, text in enumerate(texts)]
    return passages


def evaluate_own(kb: KnowledgeBase, labelled: Path, threshold: float) -> dict:
    ranked = rank_all(kb.index, kb.encoder, load_labelled(labelled))
    report = {}
    for mode in MODES:
        report[mode] = {**retrieval_metrics(ranked[mode]), **cross_calibrated(ranked[mode]),
                        "threshold_on_all": round(choose_threshold(ranked[mode]), 4)}
    report["hybrid_at_configured_threshold"] = {"threshold": threshold,
                                                **decision_metrics(ranked["hybrid"], threshold)}
    return report


def evaluate_stackfaq(kb: KnowledgeBase, folder: Path, filler: list[Passage]) -> dict:
    """StackFAQ threads as articles, dev queries as questions; optionally padded with filler."""
    passages = stackfaq_passages(folder)
    queries = [(q["query"], q["faq_id"]) for q in json.loads((folder / "queries_dev.json").read_text())]
    vectors, _ = kb.cache.embed(kb.encoder, [p.search_text for p in passages])
    ranked = rank_all(PassageIndex(passages, vectors, kb.weights), kb.encoder, queries)
    report = {mode: retrieval_metrics(ranked[mode]) for mode in MODES}
    if filler:
        filler_vectors, _ = kb.cache.embed(kb.encoder, [p.search_text for p in filler], progress=True)
        kb.cache.save()
        padded = PassageIndex(passages + filler, np.vstack([vectors, filler_vectors]), kb.weights)
        report[f"hybrid_with_{len(filler)}_filler"] = retrieval_metrics(rank_all(padded, kb.encoder, queries)["hybrid"])
    return report


def markdown(report: dict) -> str:
    lines = ["# Knowledge-base evaluation", ""]
    own = report.get("own")
    if own:
        lines += ["## Own labelled set (data/kb_eval.yml)", "",
                  "| method | R@1 | R@5 | MRR | precision of answered | answerable answered | unanswerable declined |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        lines += [f"| {m} | {own[m]['recall_at_1']:.3f} | {own[m]['recall_at_5']:.3f} | {own[m]['mrr']:.3f} | "
                  f"{own[m]['precision_of_answered']:.3f} | {own[m]['answerable_answered']:.3f} | "
                  f"{own[m]['unanswerable_declined']:.3f} |" for m in MODES]
        c = own["hybrid_at_configured_threshold"]
        lines += ["", "Decision columns: threshold chosen on one half, scored on the other (mean of two folds).",
                  f"Hybrid at the configured threshold {c['threshold']}: precision {c['precision_of_answered']:.3f}, "
                  f"answerable answered {c['answerable_answered']:.3f}, unanswerable declined {c['unanswerable_declined']:.3f}.", ""]
    faq = report.get("stackfaq")
    if faq:
        lines += ["## StackFAQ (dev queries)", "", "| method | R@1 | R@5 | MRR |", "|---|---:|---:|---:|"]
        lines += [f"| {m} | {v['recall_at_1']:.3f} | {v['recall_at_5']:.3f} | {v['mrr']:.3f} |" for m, v in faq.items()]
    return "\n".join(lines) + "\n"
