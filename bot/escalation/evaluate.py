"""Sentiment head vs. VADER, and its latency. Used by `assistant escalation train|eval`.

TweetEval's sentiment texts are part of the head's training, so on TweetEval the head is
scored by k-fold cross-validation: each fold's head never saw the tweets it is scored on.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
from sklearn.metrics import recall_score
from sklearn.model_selection import StratifiedKFold

from bot.escalation.sentiment import LABELS, SentimentHead, SentimentModel
from bot.escalation.training import Corpus, fit_head


def macro_recall(gold: list[str], predicted: list[str]) -> float:
    return round(float(recall_score(gold, predicted, labels=list(LABELS), average="macro")), 4)


def vader_labels(texts: list[str]) -> list[str]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    labels = []
    for text in texts:
        compound = analyzer.polarity_scores(text)["compound"]
        labels.append("positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral")
    return labels


def cross_validated_labels(base_vectors: np.ndarray, base: Corpus, held_vectors: np.ndarray,
                           held: Corpus, folds: int, seed: int = 0) -> list[str]:
    """Labels for `held`, each predicted by a head trained on `base` plus the other folds."""
    predicted: list[str] = [""] * len(held.texts)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(held_vectors, held.sentiment):
        corpus = Corpus()
        corpus.extend(base)
        for i in train:
            corpus.add(held.texts[i], held.sentiment[i], held.anger[i], held.weight[i])
        head = fit_head(np.vstack([base_vectors, held_vectors[train]]), corpus)
        for i, score in zip(test, head.predict(held_vectors[test])):
            predicted[i] = score.label
    return predicted


def head_labels(head: SentimentHead, vectors: np.ndarray) -> list[str]:
    return [score.label for score in head.predict(vectors)]


def anger_metrics(head: SentimentHead, vectors: np.ndarray, gold: list[bool]) -> dict[str, float]:
    predicted = [score.anger >= 0.5 for score in head.predict(vectors)]
    tp = sum(p and g for p, g in zip(predicted, gold))
    return {"precision": round(tp / max(1, sum(predicted)), 4), "recall": round(tp / max(1, sum(gold)), 4),
            "examples": len(gold), "angry": sum(gold)}


def latency_ms(model: SentimentModel, texts: list[str]) -> dict[str, float]:
    model.score(texts[0])
    samples = []
    for text in texts:
        started = time.perf_counter()
        model.score(text)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"median_ms": round(statistics.median(samples), 2),
            "p95_ms": round(samples[int(0.95 * (len(samples) - 1))], 2), "n": len(samples)}
