"""The intent head: trained, saved as plain arrays, loaded, and scoring as sklearn does."""

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from bot.nlu.head import HeadConfig, IntentHead


def data(rng, n=60, classes=("refund", "track", "greet")):
    labels = [classes[i % len(classes)] for i in range(n)]
    dense = rng.normal(size=(n, 8)) + np.array([[classes.index(y)] * 8 for y in labels])
    sparse = csr_matrix(rng.poisson(1.0, size=(n, 20)).astype(float))
    return sparse, dense, labels


def test_a_saved_head_loads_and_predicts_the_same(tmp_path):
    rng = np.random.default_rng(0)
    sparse, dense, labels = data(rng)
    head = IntentHead(HeadConfig(C=3.0))
    head.fit(sparse, dense, labels)
    probabilities = head.predict_proba(sparse, dense)
    assert probabilities.shape == (60, 3) and np.allclose(probabilities.sum(axis=1), 1)
    assert (head.classes[probabilities.argmax(axis=1)] == np.array(labels)).mean() > 0.9
    head.save(tmp_path / "head.npz")
    loaded = IntentHead.load(tmp_path / "head.npz")
    assert loaded.config.C == 3.0
    assert np.allclose(loaded.predict_proba(sparse, dense), probabilities)


def test_two_intents_and_dense_features_alone_work():
    rng = np.random.default_rng(1)
    _, dense, labels = data(rng, classes=("affirm", "deny"))
    head = IntentHead()
    head.fit(None, dense, labels)
    assert (head.classes[head.predict_proba(None, dense).argmax(axis=1)] == np.array(labels)).mean() > 0.9


def test_no_features_or_no_training_is_a_clear_error():
    with pytest.raises(ValueError, match="needs sparse or dense"):
        IntentHead().features(None, None)
    with pytest.raises(RuntimeError, match="not trained"):
        IntentHead().predict_proba(None, np.zeros((1, 4)))
