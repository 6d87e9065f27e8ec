"""Knowledge-base articles suggested to the agent for the customer's last message.

The desk loads the knowledge base in the background at start (the embeddings come from the
cache), so the desk is up at once and the first conversation view waits at most for the load.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from bot.kb.base import KnowledgeBase
from bot.kb.embedding import Encoder
from bot.kb.index import HybridWeights
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
        self._kb = KnowledgeBase(settings.kb_folder, settings.kb_index_dir, encoder,
                                 HybridWeights(settings.kb_dense_weight, settings.kb_bm25_saturation,
                                               settings.kb_support_weight))
        self._loaded = threading.Event()

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

    def suggest(self, text: str, k: int = 3) -> list[Suggestion]:
        if not text.strip() or not self._loaded.wait(LOAD_WAIT_S):
            return []
        return [Suggestion(hit.article_id, hit.passage.title, hit.passage.text, hit.passage.url,
                           round(hit.score, 3))
                for hit in self._kb.rank_articles(text, k)]

    def titles(self) -> dict[str, str]:
        return {article_id: article.title for article_id, article in self._kb.articles.items()}
