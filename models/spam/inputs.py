"""Validation of what the spam models are fed, done once at the boundary (`fit`), not deep inside."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def check_texts_and_labels(
    texts: Sequence[str], y: Sequence[int] | np.ndarray
) -> tuple[list[str], np.ndarray]:
    """Return (texts as str, labels as int64): one 0/1 label per text, both classes present."""
    text_list = [str(text) for text in texts]
    labels = np.asarray(y).astype(np.int64).ravel()
    if len(text_list) != len(labels):
        raise ValueError(f"got {len(text_list)} texts but {len(labels)} labels")
    if not np.isin(labels, (0, 1)).all():
        raise ValueError("labels must be 0 (ham) or 1 (spam)")
    if len(np.unique(labels)) < 2:
        raise ValueError("training data needs both ham (0) and spam (1) examples")
    return text_list, labels
