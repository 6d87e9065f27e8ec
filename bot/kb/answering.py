"""Decide whether the knowledge base can answer a question, and with which passage."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.kb.base import KnowledgeBase
from bot.kb.index import ArticleHit


@dataclass
class KbAnswer:
    question: str
    best: ArticleHit | None
    confident: bool
    related: list[ArticleHit] = field(default_factory=list)


def answer_question(kb: KnowledgeBase, question: str, threshold: float, related: int = 2) -> KbAnswer:
    """The best article's passage if its score clears the threshold, plus related articles."""
    ranked = kb.rank_articles(question, k=1 + related)
    if not ranked:
        return KbAnswer(question, None, False)
    best = ranked[0]
    confident = best.score >= threshold
    return KbAnswer(question, best, confident, ranked[1:] if confident else [])
