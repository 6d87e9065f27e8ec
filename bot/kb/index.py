"""Hybrid search over passages: dense cosine similarity plus BM25 (bm25s), ranked by article."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import bm25s
import numpy as np

from bot.kb.passages import Passage

Mode = Literal["hybrid", "dense", "bm25"]
# A section is shown instead of the article's summary only if it scores this much higher.
SUMMARY_PREFERENCE = 0.05


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float
    dense: float
    lexical: float


@dataclass(frozen=True)
class ArticleHit:
    """An article's rank score (its best passage) and the section to show for it."""

    article_id: str
    score: float
    passage: Passage


@dataclass(frozen=True)
class HybridWeights:
    """passage score = dense_weight * cosine + (1 - dense_weight) * bm25 / (bm25 + saturation)
    article score = (best + support * second best passage) / (1 + support)

    The saturating transform keeps BM25 on an absolute 0-1 scale (unlike per-query
    max-normalisation), so the score can be thresholded to decide whether to answer; the
    second passage rewards articles that match in more than one place.
    """

    dense_weight: float = 0.75
    saturation: float = 3.0
    support: float = 0.4


def _tokenize(texts: list[str]) -> list[list[str]]:
    return bm25s.tokenize(texts, stopwords="en", return_ids=False, show_progress=False)


class PassageIndex:
    def __init__(self, passages: list[Passage], vectors: np.ndarray,
                 weights: HybridWeights = HybridWeights()) -> None:
        # Group each article's passages together (stable), so articles are contiguous slices.
        first_seen: dict[str, int] = {}
        for i, p in enumerate(passages):
            first_seen.setdefault(p.article_id, i)
        order = sorted(range(len(passages)), key=lambda i: (first_seen[passages[i].article_id], i))
        self.passages = [passages[i] for i in order]
        self.vectors = vectors[order] if len(order) else vectors
        self.weights = weights
        starts = [i for i, p in enumerate(self.passages)
                  if i == 0 or p.article_id != self.passages[i - 1].article_id]
        self._starts = np.array(starts, dtype=np.int64)
        self._ends = np.append(self._starts[1:], len(self.passages)).astype(np.int64)
        self._shown = np.array([not p.is_question for p in self.passages], dtype=bool)
        self._bm25 = bm25s.BM25()
        if self.passages:
            corpus = bm25s.tokenize([p.search_text for p in self.passages], stopwords="en",
                                    show_progress=False)
            self._bm25.index(corpus, show_progress=False)

    def __len__(self) -> int:
        return len(self.passages)

    def scores(self, query_vector: np.ndarray, query: str, mode: Mode = "hybrid") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fused, dense and lexical scores for every passage."""
        dense = self.vectors @ query_vector
        tokens = _tokenize([query])[0]
        lexical = self._bm25.get_scores(tokens) if tokens else np.zeros(len(self.passages))
        lexical = np.asarray(lexical, dtype=np.float32)
        if mode == "dense":
            return dense, dense, lexical
        if mode == "bm25":
            return lexical, dense, lexical
        w = self.weights
        fused = w.dense_weight * dense + (1 - w.dense_weight) * lexical / (lexical + w.saturation)
        return fused, dense, lexical

    def search(self, query_vector: np.ndarray, query: str, k: int = 10, mode: Mode = "hybrid") -> list[Hit]:
        """The k best passages of any kind (what `assistant kb search` shows)."""
        if not self.passages:
            return []
        fused, dense, lexical = self.scores(query_vector, query, mode)
        top = _top(fused, k)
        return [Hit(self.passages[i], float(fused[i]), float(dense[i]), float(lexical[i])) for i in top]

    def articles(self, query_vector: np.ndarray, query: str, k: int = 10,
                 mode: Mode = "hybrid") -> list[ArticleHit]:
        """The k best articles, each scored by its best passage, with the section to show."""
        if not self.passages:
            return []
        fused, _, _ = self.scores(query_vector, query, mode)
        per_article = self._article_scores(fused)
        ranked = []
        for a in _top(per_article, k):
            start, end = self._starts[a], self._ends[a]
            ranked.append(ArticleHit(self.passages[start].article_id, float(per_article[a]),
                                     self._section_to_show(fused, start, end)))
        return ranked

    def _article_scores(self, fused: np.ndarray) -> np.ndarray:
        best = np.maximum.reduceat(fused, self._starts)
        is_best = fused == np.repeat(best, self._ends - self._starts)
        second = np.maximum.reduceat(np.where(is_best, -np.inf, fused), self._starts)
        second = np.where(np.isfinite(second), second, best)  # one passage: neutral
        return (best + self.weights.support * second) / (1 + self.weights.support)

    def _section_to_show(self, fused: np.ndarray, start: int, end: int) -> Passage:
        sections = [i for i in range(start, end) if self._shown[i]]
        if not sections:
            return self.passages[start]
        best = max(sections, key=lambda i: fused[i])
        summary = sections[0]
        return self.passages[summary if fused[summary] >= fused[best] - SUMMARY_PREFERENCE else best]


def _top(values: np.ndarray, k: int) -> np.ndarray:
    k = min(k, len(values))
    top = np.argpartition(-values, k - 1)[:k]
    return top[np.argsort(-values[top])]
