"""Knowledge-base articles suggested to the agent for the customer's last message.

The desk loads the knowledge base in the background at start (the embeddings come from the
cache), so the desk is up at once and the first conversation view waits at most for the load.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from bot.encoder import Encoder
from bot.kb.base import KnowledgeBase, knowledge_base_from_settings
from bot.settings import Settings

log = logging.getLogger(__name__)
LOAD_WAIT_S = 60.0


@dataclass(frozen=True)
class Suggestion:
    article_id: str
    title: str
    text: str
    url: str | None
    score: float


class Suggester:
    def __init__(self, settings: Settings, encoder: Encoder) -> None:
        self._kb = knowledge_base_from_settings(settings, encoder, load=False)
        self._loaded = threading.Event()
        self._relevant = settings.kb_intent_threshold

    def start(self) -> None:
        threading.Thread(target=self._load, name="kb-load", daemon=True).start()

    def _load(self) -> None:
        try:
            self._kb.reload()
            self._kb.watch()
        except Exception:
            log.exception("could not load the knowledge base; the console shows no suggestions")
        finally:
            self._loaded.set()

    def suggest(self, last_message: str, issue: str = "", k: int = 3) -> list[Suggestion]:
        """Articles for the customer's last message; when it matches nothing well ("still
        useless"), those for the conversation's issue fill the list."""
        if not self._loaded.wait(LOAD_WAIT_S):
            return []
        queries = [text for text in (last_message, issue) if text.strip()]
        ranked = {text: self._kb.rank_articles(text, k) for text in dict.fromkeys(queries)}
        hits = [hit for text in ranked for hit in ranked[text] if hit.score >= self._relevant]
        if not hits and queries:
            hits = ranked[queries[-1]]
        unique = {hit.article_id: hit for hit in reversed(hits)}  # the first hit of each article wins
        chosen = [unique[article_id] for article_id in dict.fromkeys(h.article_id for h in hits)][:k]
        return [Suggestion(hit.article_id, hit.passage.title, hit.passage.text, hit.passage.url,
                           round(hit.score, 3)) for hit in chosen]

    def knowledge_base(self) -> KnowledgeBase | None:
        """The loaded base (the studio's "try it"), or None while it is still loading."""
        return self._kb if self._loaded.wait(LOAD_WAIT_S) else None

    def titles(self) -> dict[str, str]:
        return {article_id: article.title for article_id, article in self._kb.articles.items()}
