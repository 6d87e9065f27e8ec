"""The intent classifier: one logistic regression over the sentence embedding next to
l2-normalised word and character n-gram counts.

The embedding carries meaning (a "rebate" is close to a "refund"), the n-grams carry
exact words, typos and names; normalising the counts keeps a long message from drowning
the embedding. Chosen by 5-fold cross-validation on data/nlu (docs/training.md).
Saved as plain arrays, so loading a model never unpickles code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize


@dataclass
class HeadConfig:
    C: float = 10.0
    sparse_weight: float = 1.0
    dense_weight: float = 1.0
    max_iter: int = 500


class IntentHead:
    def __init__(self, config: HeadConfig | None = None) -> None:
        self.config = config or HeadConfig()
        self.classes: np.ndarray = np.array([], dtype=str)
        self.coef: np.ndarray | None = None
        self.intercept: np.ndarray | None = None

    def features(self, sparse: csr_matrix | None, dense: np.ndarray | None) -> csr_matrix:
        parts = []
        if sparse is not None and sparse.shape[1]:
            parts.append(normalize(csr_matrix(sparse, dtype=np.float64)) * self.config.sparse_weight)
        if dense is not None and dense.shape[1]:
            parts.append(csr_matrix(np.asarray(dense, dtype=np.float64) * self.config.dense_weight))
        if not parts:
            raise ValueError("the intent classifier needs sparse or dense sentence features")
        return hstack(parts).tocsr()

    def fit(self, sparse: csr_matrix | None, dense: np.ndarray | None, labels: list[str]) -> None:
        classifier = LogisticRegression(C=self.config.C, max_iter=self.config.max_iter,
                                        class_weight="balanced", random_state=42)
        classifier.fit(self.features(sparse, dense), labels)
        self.classes = classifier.classes_
        self.coef, self.intercept = classifier.coef_, classifier.intercept_

    def predict_proba(self, sparse: csr_matrix | None, dense: np.ndarray | None) -> np.ndarray:
        """One row of probabilities per message, columns in the order of `classes`."""
        if self.coef is None:
            raise RuntimeError("the intent classifier is not trained")
        logits = self.features(sparse, dense) @ self.coef.T + self.intercept
        logits = np.asarray(logits)
        if len(self.classes) == 2:  # sklearn keeps one row of weights for two classes
            logits = np.hstack([-logits, logits]) / 2
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def save(self, path: Path) -> None:
        np.savez(path, classes=self.classes, coef=self.coef, intercept=self.intercept,
                 config=np.array([self.config.C, self.config.sparse_weight, self.config.dense_weight]))

    @classmethod
    def load(cls, path: Path) -> IntentHead:
        data = np.load(path, allow_pickle=False)
        C, sparse_weight, dense_weight = data["config"].tolist()
        head = cls(HeadConfig(C=C, sparse_weight=sparse_weight, dense_weight=dense_weight))
        head.classes, head.coef, head.intercept = data["classes"], data["coef"], data["intercept"]
        return head
