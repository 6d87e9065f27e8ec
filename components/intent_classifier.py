"""Rasa intent classifier: bot.nlu.head's logistic regression over every featurizer's
sentence features (sparse n-grams and the dense sentence embedding)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers import LABEL_RANKING_LENGTH
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, vstack

from bot.nlu.head import HeadConfig, IntentHead

FILE = "intent_head.npz"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(IntentClassifier, GraphComponent):
    @classmethod
    def required_components(cls) -> List[type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        defaults = HeadConfig()
        return {"C": defaults.C, "sparse_weight": defaults.sparse_weight,
                "dense_weight": defaults.dense_weight, "max_iter": defaults.max_iter,
                "ranking_length": LABEL_RANKING_LENGTH}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 head: Optional[IntentHead] = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self.head = head or IntentHead(HeadConfig(C=self.config["C"], sparse_weight=self.config["sparse_weight"],
                                                  dense_weight=self.config["dense_weight"],
                                                  max_iter=self.config["max_iter"]))
        self._model_storage = model_storage
        self._resource = resource

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> LinearIntentClassifier:
        return cls(config, model_storage, resource)

    @staticmethod
    def _features(messages: List[Message]) -> Tuple[Optional[csr_matrix], Optional[np.ndarray]]:
        sparse_rows, dense_rows = [], []
        for message in messages:
            _, sparse = message.get_sparse_features(TEXT)
            _, dense = message.get_dense_features(TEXT)
            sparse_rows.append(csr_matrix(sparse.features) if sparse is not None else None)
            dense_rows.append(dense.features.reshape(-1) if dense is not None else None)
        sparse = vstack(sparse_rows).tocsr() if all(r is not None for r in sparse_rows) else None
        dense = np.vstack(dense_rows) if all(r is not None for r in dense_rows) else None
        return sparse, dense

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            return self._resource
        sparse, dense = self._features(examples)
        self.head.fit(sparse, dense, [e.get(INTENT) for e in examples])
        with self._model_storage.write_to(self._resource) as directory:
            self.head.save(directory / FILE)
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> LinearIntentClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                return cls(config, model_storage, resource, IntentHead.load(directory / FILE))
        except (ValueError, FileNotFoundError):
            return cls.create(config, model_storage, resource, execution_context)

    def process(self, messages: List[Message]) -> List[Message]:
        with_text = [m for m in messages if m.get(TEXT)]
        if self.head.coef is None:  # trained without intent examples: no intent, as Rasa's own do
            for message in with_text:
                message.set(INTENT, {"name": None, "confidence": 0.0}, add_to_output=True)
                message.set("intent_ranking", [], add_to_output=True)
            return messages
        if not with_text:
            return messages
        probabilities = self.head.predict_proba(*self._features(with_text))
        for message, row in zip(with_text, probabilities):
            order = np.argsort(-row)
            ranking = [{"name": str(self.head.classes[i]), "confidence": float(row[i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            if self.config["ranking_length"] > 0:
                ranking = ranking[: self.config["ranking_length"]]
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages
