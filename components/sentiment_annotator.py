"""Rasa NLU component: the message's sentiment and anger (bot.escalation.sentiment), from the
sentence vector SentenceEncoderFeaturizer already computed, added to the parse data as
`sentiment`.

The desk needs a score for every message (the escalation policy). Scoring it in the desk
ran the sentence encoder a second time on the same text, most of the desk's CPU per
message; here the vector is reused and only the small head runs. The desk still scores
messages Rasa does not see (those a person answers), with the same head.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.escalation.sentiment import SentimentHead, SentimentScore, features

log = logging.getLogger(__name__)
SENTIMENT = "sentiment"
EXTRA_FEATURES = 12  # VADER's four scores and eight surface cues, next to the embedding


def as_parse_data(score: SentimentScore) -> Dict[Text, Any]:
    """The shape the desk stores in a message's analysis (bot.desk.analysis)."""
    return {"label": score.label, "negative": round(score.negative, 4), "neutral": round(score.neutral, 4),
            "positive": round(score.positive, 4), "anger": round(score.anger, 4)}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentimentAnnotator(GraphComponent):
    def __init__(self, head: SentimentHead) -> None:
        self._head = head
        self._warned = False

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SentimentAnnotator:
        return cls(SentimentHead.load())

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            vector = self._sentence_vector(message) if text else None
            if vector is not None:
                score = self._head.predict(features(vector.reshape(1, -1), [text]))[0]
                message.set(SENTIMENT, as_parse_data(score), add_to_output=True)
        return messages

    def _sentence_vector(self, message: Message) -> Optional[Any]:
        _, sentence = message.get_dense_features(TEXT)
        expected = self._head.sentiment_coef.shape[1] - EXTRA_FEATURES
        if sentence is None or sentence.features.shape[-1] != expected:
            if not self._warned:
                log.warning("SentimentAnnotator needs SentenceEncoderFeaturizer's %d-dimension sentence "
                            "vector before it (and no other dense featurizer); no sentiment added", expected)
                self._warned = True
            return None
        return sentence.features[0]
