"""Reproducible training of the sentiment and anger heads.

Sources (paths are arguments; nothing of them is copied into the project):
- GoEmotions (Apache-2.0): `data/group` for sentiment (single-label rows; `ambiguous`
  left out), `data/ekman` for anger vs. the rest;
- TweetEval: `emotion/train` for anger vs. the rest, `sentiment/val` for sentiment;
- the project's own support-style examples, data/escalation/sentiment.yml.
Per-class samples are capped so that training stays a few minutes on two cores; GoEmotions
contributes few sentiment examples (Reddit's "neutral" differs from a support chat's) but
most of the anger examples. Chosen by cross-validation, see docs/escalation.md.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml
from sklearn.linear_model import LogisticRegression

from bot.escalation.sentiment import LABELS, SentimentHead

GOEMOTIONS_GROUP = {"1": "negative", "2": "neutral", "3": "positive"}  # 0 is ambiguous
TWEETEVAL_SENTIMENT = {"0": "negative", "1": "neutral", "2": "positive"}
EKMAN_ANGER = "0"
TWEETEVAL_ANGER = "0"


@dataclass
class Corpus:
    """Texts with a sentiment label and/or an anger label (None where a source has none),
    and a training weight (in-domain sources count more than Reddit comments)."""

    texts: list[str] = field(default_factory=list)
    sentiment: list[str | None] = field(default_factory=list)
    anger: list[bool | None] = field(default_factory=list)
    weight: list[float] = field(default_factory=list)

    def add(self, text: str, sentiment: str | None, anger: bool | None, weight: float = 1.0) -> None:
        self.texts.append(text)
        self.sentiment.append(sentiment)
        self.anger.append(anger)
        self.weight.append(weight)

    def extend(self, other: Corpus) -> None:
        for row in zip(other.texts, other.sentiment, other.anger, other.weight):
            self.add(*row)


def _single_label_rows(path: Path) -> list[tuple[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return [(row[0], row[1]) for row in csv.reader(f, delimiter="\t") if "," not in row[1]]


def _capped(rows: list, cap: int, rng: random.Random) -> list:
    rows = list(rows)
    rng.shuffle(rows)
    return rows[:cap]


def goemotions(folder: Path, split: str, per_class_sentiment: int, per_class_anger: int,
               rng: random.Random) -> Corpus:
    corpus = Corpus()
    group = _single_label_rows(folder / "data" / "group" / f"{split}.tsv")
    for label_id, label in GOEMOTIONS_GROUP.items():
        for text, _ in _capped([r for r in group if r[1] == label_id], per_class_sentiment, rng):
            corpus.add(text, label, None)
    ekman = _single_label_rows(folder / "data" / "ekman" / f"{split}.tsv")
    angry = [r for r in ekman if r[1] == EKMAN_ANGER]
    calm = [r for r in ekman if r[1] != EKMAN_ANGER]
    for text, _ in _capped(angry, per_class_anger, rng):
        corpus.add(text, None, True)
    for text, _ in _capped(calm, 2 * per_class_anger, rng):
        corpus.add(text, None, False)
    return corpus


def tweeteval_sentiment(folder: Path, weight: float = 3.0) -> Corpus:
    base = folder / "sentiment"
    texts = (base / "val_text.txt").read_text(encoding="utf-8").splitlines()
    labels = (base / "val_labels.txt").read_text().split()
    corpus = Corpus()
    for text, label in zip(texts, labels):
        corpus.add(text.strip(), TWEETEVAL_SENTIMENT[label], None, weight)
    return corpus


def tweeteval_anger(folder: Path) -> Corpus:
    base = folder / "emotion"
    texts = (base / "train_text.txt").read_text(encoding="utf-8").splitlines()
    labels = (base / "train_labels.txt").read_text().split()
    corpus = Corpus()
    for text, label in zip(texts, labels):
        corpus.add(text.strip(), None, label == TWEETEVAL_ANGER)
    return corpus


def own_examples(path: Path, weight: float = 3.0) -> Corpus:
    corpus = Corpus()
    for example in yaml.safe_load(path.read_text())["examples"]:
        corpus.add(str(example["text"]), example["sentiment"], bool(example["angry"]), weight)
    return corpus


def fit_head(feature_matrix: np.ndarray, corpus: Corpus, c_sentiment: float = 0.12,
             c_anger: float = 2.0) -> SentimentHead:
    """Both heads on `features(embeddings, texts)` rows, one row per corpus text. The
    sentiment head is regularised harder (C 0.12 rather than 2: +1.5 points of cross-validated
    macro recall on TweetEval, see docs/escalation.md)."""
    weights = np.array(corpus.weight)
    has_sentiment = np.array([s is not None for s in corpus.sentiment])
    y_sentiment = np.array([LABELS.index(s) for s in corpus.sentiment if s is not None])
    sentiment = LogisticRegression(C=c_sentiment, max_iter=3000, class_weight="balanced")
    sentiment.fit(feature_matrix[has_sentiment], y_sentiment, sample_weight=weights[has_sentiment])
    has_anger = np.array([a is not None for a in corpus.anger])
    y_anger = np.array([bool(a) for a in corpus.anger if a is not None])
    anger = LogisticRegression(C=c_anger, max_iter=3000, class_weight="balanced")
    anger.fit(feature_matrix[has_anger], y_anger, sample_weight=weights[has_anger])
    return SentimentHead(sentiment.coef_.astype(np.float32), sentiment.intercept_.astype(np.float32),
                         anger.coef_[0].astype(np.float32), float(anger.intercept_[0]))
