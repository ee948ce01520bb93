"""Fixtures shared by the spam model tests: one synthetic task, fitted models reused across tests."""

from __future__ import annotations

import pytest

from models.spam.baseline import TfidfLogisticSpamModel
from models.spam.neural import HashedNgramSpamModel
from tests.models.spam.factories import SyntheticTask, small_torch_model, synthetic_texts


@pytest.fixture(scope="session")
def synthetic_task() -> SyntheticTask:
    """(train texts, train labels, test texts, test labels): 300 + 200 messages, disjoint seeds."""
    train_texts, train_y = synthetic_texts(300, seed=0)
    test_texts, test_y = synthetic_texts(200, seed=1)
    return train_texts, train_y, test_texts, test_y


@pytest.fixture(scope="session")
def fitted_baseline(synthetic_task: SyntheticTask) -> TfidfLogisticSpamModel:
    texts, labels, _, _ = synthetic_task
    return TfidfLogisticSpamModel(min_df=1).fit(texts, labels)


@pytest.fixture(scope="session")
def fitted_torch(synthetic_task: SyntheticTask) -> HashedNgramSpamModel:
    texts, labels, _, _ = synthetic_task
    return small_torch_model().fit(texts, labels)
