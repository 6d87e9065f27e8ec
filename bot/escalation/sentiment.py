"""Sentiment (negative/neutral/positive) and anger scores from sentence embeddings.

Features: the all-MiniLM-L6-v2 embedding the knowledge base also uses, plus VADER's four
lexicon scores (0.1 ms, and worth about four points of macro recall on tweets) and eight
cheap surface cues (VADER's lowest and highest per-sentence compound; counts of '!', '?',
all-caps words, negations, happy and unhappy emoticons/emoji). The heads
are small logistic regressions trained by `assistant escalation train` and shipped in the
repo as plain arrays (bot/escalation/models/sentiment_head.npz), so nothing is unpickled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.encoder import Encoder

if TYPE_CHECKING:  # the Rasa environment (components/sentiment_annotator.py) has no settings
    from bot.settings import Settings

VADER_SCALE = 5.0  # lexicon scores are 0-1; scaled to weigh against a unit-length embedding

LABELS = ("negative", "neutral", "positive")
DEFAULT_HEAD = Path(__file__).parent / "models" / "sentiment_head.npz"


@dataclass(frozen=True)
class SentimentScore:
    negative: float
    neutral: float
    positive: float
    anger: float

    @property
    def label(self) -> str:
        return max(LABELS, key=lambda name: getattr(self, name))


@dataclass(frozen=True)
class SentimentHead:
    sentiment_coef: np.ndarray  # (3, dim), rows in LABELS order
    sentiment_intercept: np.ndarray  # (3,)
    anger_coef: np.ndarray  # (dim,)
    anger_intercept: float

    def predict(self, vectors: np.ndarray) -> list[SentimentScore]:
        logits = vectors @ self.sentiment_coef.T + self.sentiment_intercept
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        anger = 1 / (1 + np.exp(-(vectors @ self.anger_coef + self.anger_intercept)))
        return [SentimentScore(float(p[0]), float(p[1]), float(p[2]), float(a))
                for p, a in zip(probs, anger)]

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, sentiment_coef=self.sentiment_coef, sentiment_intercept=self.sentiment_intercept,
                 anger_coef=self.anger_coef, anger_intercept=np.array(self.anger_intercept))

    @classmethod
    def load(cls, path: Path = DEFAULT_HEAD) -> SentimentHead:
        data = np.load(path, allow_pickle=False)
        return cls(data["sentiment_coef"], data["sentiment_intercept"], data["anger_coef"],
                   float(data["anger_intercept"]))


def lexicon_features(texts: list[str]) -> np.ndarray:
    """VADER's negative, neutral, positive and compound scores, scaled."""
    scores = [_vader().polarity_scores(text) for text in texts]
    return VADER_SCALE * np.array([[s["neg"], s["neu"], s["pos"], s["compound"]] for s in scores],
                                  dtype=np.float32).reshape(len(texts), 4)


@cache
def _vader():  # type: ignore[no-untyped-def]
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"[A-Za-z']+")
_HAPPY = re.compile("[:;=]-?[)D\\]pP]|<3|[\U0001F600-\U0001F60F\U0001F617-\U0001F61D\U0001F642\U0001F60A"
                    "\U0001F44D\u2764\U0001F495-\U0001F49F\U0001F389]")
_UNHAPPY = re.compile("[:;=]'?-?[(\\[/\\\\|]|[\U0001F620-\U0001F62F\U0001F612-\U0001F616\U0001F61E"
                      "\U0001F61F\U0001F641\U0001F44E\U0001F92C\U0001F621]")


@cache
def _negations() -> frozenset[str]:
    from vaderSentiment.vaderSentiment import NEGATE

    return frozenset(NEGATE) | {"never", "no", "nothing", "nobody", "none", "cannot"}


def surface_features(texts: list[str]) -> np.ndarray:
    """Per text: VADER's lowest and highest compound over its sentences, and log(1 + count)
    of '!', '?', all-caps words, negations, happy and unhappy emoticons/emoji."""
    rows = []
    for text in texts:
        sentences = [part for part in _SENTENCE_BREAK.split(text) if part.strip()] or [text]
        compounds = [_vader().polarity_scores(sentence)["compound"] for sentence in sentences]
        words = _WORD.findall(text)
        caps = sum(1 for word in words if len(word) >= 2 and word.isupper())
        negations = sum(1 for word in words if word.lower() in _negations() or word.lower().endswith("n't"))
        counts = [text.count("!"), text.count("?"), caps, negations,
                  len(_HAPPY.findall(text)), len(_UNHAPPY.findall(text))]
        rows.append([min(compounds), max(compounds), *np.log1p(counts)])
    return np.array(rows, dtype=np.float32).reshape(len(texts), 8)


def features(embeddings: np.ndarray, texts: list[str]) -> np.ndarray:
    return np.hstack([embeddings, lexicon_features(texts), surface_features(texts)])


class SentimentModel:
    def __init__(self, encoder: Encoder, head: SentimentHead) -> None:
        self.encoder = encoder
        self.head = head

    def score(self, text: str) -> SentimentScore:
        return self.score_many([text])[0]

    def score_many(self, texts: list[str]) -> list[SentimentScore]:
        if not texts:
            return []
        return self.head.predict(features(self.encoder.encode(texts), texts))


def default_sentiment_model(settings: Settings) -> SentimentModel:
    """The shipped head on the configured encoder; loaded once per process."""
    return _loaded_model(settings.kb_model_path, settings.kb_model_sha256, settings.sentiment_threads)


@cache
def _loaded_model(model_path: Path | None, sha256: str | None, threads: int) -> SentimentModel:
    return SentimentModel(Encoder(model_path, sha256, threads=threads), SentimentHead.load())
