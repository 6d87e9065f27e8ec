"""The knowledge base's embedding cache, keyed by content hash (the encoder is bot.encoder)."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import numpy as np

from bot.encoder import Encoder

log = logging.getLogger(__name__)


class EmbeddingCache:
    """Vectors by the hash of (model, text), kept in one .npz file so re-indexing is incremental."""

    def __init__(self, path: Path, model_id: str) -> None:
        self.path = path
        self.model_id = model_id
        self._vectors: dict[str, np.ndarray] = {}
        self._dirty = False
        if path.exists():
            try:
                data = np.load(path, allow_pickle=False)
                if str(data["model_id"]) == model_id:
                    self._vectors = dict(zip(data["keys"].tolist(), data["vectors"]))
            except (OSError, KeyError, ValueError) as error:
                log.warning("ignoring unreadable embedding cache %s: %s", path, error)

    def __len__(self) -> int:
        return len(self._vectors)

    def embed(self, encoder: Encoder, texts: list[str], progress: bool = False) -> tuple[np.ndarray, int]:
        """Vectors for the texts, embedding only those not cached; also returns how many were new."""
        keys = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
        missing = [i for i, key in enumerate(keys) if key not in self._vectors]
        if missing:
            fresh = encoder.encode([texts[i] for i in missing], progress=progress)
            for i, vector in zip(missing, fresh):
                self._vectors[keys[i]] = vector
            self._dirty = True
        if not texts:
            return np.zeros((0, encoder.dimension), dtype=np.float32), 0
        return np.stack([self._vectors[key] for key in keys]), len(missing)

    def save(self) -> None:
        if not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = list(self._vectors)
        tmp = self.path.with_name(f"{self.path.stem}.{os.getpid()}.tmp.npz")
        np.savez(tmp, model_id=np.array(self.model_id), keys=np.array(keys),
                 vectors=np.stack([self._vectors[k] for k in keys]))
        tmp.replace(self.path)
        self._dirty = False
