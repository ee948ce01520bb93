"""The cached baseline computes what the spam baseline computes, from counts made once."""

from __future__ import annotations

import numpy as np

from models.labeling.cached_baseline import CachedSpamBaseline, CorpusCounts
from models.spam.baseline import TfidfLogisticSpamModel
from tests.factories import HAM_SUBJECTS, SPAM_SUBJECTS

SPAM_WORDS = "free money click here viagra winner prize cheap loans offer now $$$ !!!".split()
HAM_WORDS = "patch build meeting lunch parser trunk notes review friday thanks regards".split()


def corpus(n: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=n)
    texts = []
    for label in labels:
        words, subjects = (SPAM_WORDS, SPAM_SUBJECTS) if label else (HAM_WORDS, HAM_SUBJECTS)
        mixed = list(rng.choice(words, size=25)) + list(rng.choice(SPAM_WORDS + HAM_WORDS, size=8))
        texts.append(f"{rng.choice(subjects)}\n\n{' '.join(mixed)} {rng.integers(10**6)}")
    return texts, labels


def test_same_probabilities_as_the_baseline() -> None:
    texts, labels = corpus(300)
    train, test = np.arange(0, 120), np.arange(120, 300)
    # small caps so that max_features prunes the vocabulary, as on the real corpus
    params = {"max_features": 300, "char_max_features": 400}
    expected = TfidfLogisticSpamModel(**params).fit([texts[i] for i in train], labels[train])
    cached = CachedSpamBaseline(CorpusCounts(texts, **params)).fit(train, labels[train])
    np.testing.assert_allclose(
        cached.predict_proba(test), expected.predict_proba([texts[i] for i in test]), atol=1e-4
    )
