"""The live knowledge base: articles on disk, kept indexed, reloaded when editors save."""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from bot.encoder import EmbeddingCache, Encoder
from bot.kb.articles import Article, ArticleError, load_articles
from bot.kb.index import ArticleHit, Hit, HybridWeights, Mode, PassageIndex
from bot.kb.passages import Passage, split_article
from bot.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class ReloadReport:
    articles: int
    passages: int
    embedded: int
    seconds: float
    errors: list[ArticleError] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)


class KnowledgeBase:
    def __init__(self, folder: Path, index_dir: Path, encoder: Encoder,
                 weights: HybridWeights = HybridWeights()) -> None:
        # Queries alternate torch (the encoder) and numpy (scoring); multi-threaded BLAS
        # spin-waits against torch's threads on small machines (p95 at 100k passages: 132 ms
        # with it, 38 ms without). A matrix-vector product gains little from threads anyway.
        threadpool_limits(limits=1, user_api="blas")
        self.folder = folder
        self.index_dir = index_dir
        self.encoder = encoder
        self.weights = weights
        self.cache = EmbeddingCache(index_dir / "embeddings.npz", encoder.model_id)
        self.index = PassageIndex([], np.zeros((0, encoder.dimension), dtype=np.float32), weights)
        self.articles: dict[str, Article] = {}
        self.errors: list[ArticleError] = []
        self._last_good: dict[Path, Article] = {}
        self._reload_lock = threading.Lock()

    def reload(self, extra_passages: list[Passage] | None = None, progress: bool = False) -> ReloadReport:
        """Re-read the folder; a file that no longer parses keeps its last good version."""
        started = time.perf_counter()
        with self._reload_lock:
            loaded = load_articles(self.folder)
            current = {a.path: a for a in loaded.articles}
            ids = {a.id for a in loaded.articles}
            kept = []
            for error in loaded.errors:
                previous = self._last_good.get(error.path)
                if previous is not None and error.path not in current and previous.id not in ids:
                    current[error.path] = previous
                    ids.add(previous.id)
                    kept.append(error.path)
                    log.warning("%s; keeping the last good version of %s", error, error.path.name)
                else:
                    log.warning("%s", error)
            articles = sorted(current.values(), key=lambda a: a.path.name)
            passages = [p for a in articles for p in split_article(a)] + (extra_passages or [])
            vectors, embedded = self.cache.embed(self.encoder, [p.search_text for p in passages],
                                                 progress=progress)
            self.cache.save()
            index = PassageIndex(passages, vectors, self.weights)
            self.index, self.articles = index, {a.id: a for a in articles}
            self._last_good, self.errors = current, loaded.errors
            self._write_manifest(articles)
        return ReloadReport(len(articles), len(passages), embedded,
                            time.perf_counter() - started, loaded.errors, kept)

    def search(self, query: str, k: int = 10, mode: Mode = "hybrid") -> list[Hit]:
        index = self.index  # one consistent snapshot even if a reload swaps it meanwhile
        return index.search(self.encoder.encode([query])[0], query, k, mode)

    def rank_articles(self, query: str, k: int = 10, mode: Mode = "hybrid") -> list[ArticleHit]:
        index = self.index
        return index.articles(self.encoder.encode([query])[0], query, k, mode)

    def watch(self, stop: threading.Event | None = None) -> threading.Thread:
        """Reload in a background thread whenever a file in the folder changes."""
        from watchfiles import watch

        def run() -> None:
            for _changes in watch(self.folder, stop_event=stop, debounce=200, step=50):
                try:
                    report = self.reload()
                    log.info("knowledge base reloaded: %d articles, %d passages embedded, %.2f s",
                             report.articles, report.embedded, report.seconds)
                except Exception:  # a watcher must survive any single bad reload
                    log.exception("knowledge base reload failed; keeping the previous index")

        thread = threading.Thread(target=run, name="kb-watcher", daemon=True)
        thread.start()
        return thread

    def _write_manifest(self, articles: list[Article]) -> None:
        self.index_dir.mkdir(parents=True, exist_ok=True)
        manifest = {"model": self.encoder.model_id,
                    "articles": {a.id: {"path": a.path.name, "hash": a.content_hash} for a in articles}}
        (self.index_dir / "manifest.json").write_text(json.dumps(manifest, indent=1))


def knowledge_base_from_settings(settings: Settings, encoder: Encoder | None = None,
                                 load: bool = True) -> KnowledgeBase:
    """The configured knowledge base, loaded and indexed (embedding only what changed)
    unless `load` is off (the caller reloads it, e.g. in the background); `encoder` shares
    one already loaded."""
    encoder = encoder or Encoder(settings.kb_model_path, settings.kb_model_sha256, threads=settings.kb_threads)
    kb = KnowledgeBase(settings.kb_folder, settings.kb_index_dir, encoder,
                       HybridWeights(settings.kb_dense_weight, settings.kb_bm25_saturation,
                                     settings.kb_support_weight))
    if load:
        kb.reload()
    return kb
