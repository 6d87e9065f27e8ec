"""The shipped sentiment head on real support-style messages, and its training code."""

from pathlib import Path

import numpy as np
import pytest

from bot.encoder import Encoder
from bot.escalation.sentiment import DEFAULT_HEAD, SentimentHead, SentimentModel, features
from bot.escalation.training import fit_head, own_examples

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return Encoder(threads=2)


@pytest.fixture(scope="module")
def model(encoder) -> SentimentModel:
    return SentimentModel(encoder, SentimentHead.load(DEFAULT_HEAD))


def test_an_angry_customer_scores_negative_and_angry(model):
    score = model.score("THIS IS THE THIRD TIME I ASK. Where is my refund?? Your service is a joke")
    assert score.label == "negative" and score.anger > 0.5


def test_a_thankful_customer_scores_positive_and_calm(model):
    score = model.score("thank you so much, that solved it, you've been really helpful!")
    assert score.label == "positive" and score.anger < 0.5


def test_a_plain_question_is_not_angry(model):
    score = model.score("what are your opening hours on saturday")
    assert score.label != "negative" and score.anger < 0.5


def test_scores_are_probabilities(model):
    [a, b] = model.score_many(["ok", "this is useless"])
    for score in (a, b):
        assert abs(score.negative + score.neutral + score.positive - 1) < 1e-5
        assert 0 <= score.anger <= 1


def test_a_head_survives_save_and_load(tmp_path):
    head = SentimentHead.load(DEFAULT_HEAD)
    head.save(tmp_path / "head.npz")
    again = SentimentHead.load(tmp_path / "head.npz")
    assert np.array_equal(head.sentiment_coef, again.sentiment_coef) and head.anger_intercept == again.anger_intercept


def test_training_learns_the_projects_own_examples(encoder):
    corpus = own_examples(ROOT / "data" / "escalation" / "sentiment.yml")
    vectors = features(encoder.encode(corpus.texts), corpus.texts)
    head = fit_head(vectors, corpus)
    predicted = [s.label for s in head.predict(vectors)]
    accuracy = np.mean([p == g for p, g in zip(predicted, corpus.sentiment)])
    angry = [s.anger >= 0.5 for s in head.predict(vectors)]
    anger_accuracy = np.mean([p == g for p, g in zip(angry, corpus.anger)])
    assert accuracy > 0.85 and anger_accuracy > 0.85
