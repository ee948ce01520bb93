"""The spam training snapshot: base corpus + consensus labels up to a watermark, with a fixed holdout and a
recent slice, validated and redacted, and its lineage."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from closedloop import corpora
from closedloop.datasets.checks import validate_spam
from closedloop.lineage import snapshot_lineage
from closedloop.settings import Settings
from closedloop.store import Store, read_training_labels
from models.redaction import redact_pii
from models.spam.corpus import message_texts
from models.spam.splits import random_split


@dataclass
class SpamSnapshot:
    train: pd.DataFrame  # text, label, source; oldest first (corpus by date, then labels by id)
    holdout: pd.DataFrame  # message_id, text, label — fixed for a given corpus and seed
    recent: pd.DataFrame  # text, label — the newest consensus labels, withheld from training
    validation: dict[str, Any] = field(default_factory=dict)
    lineage: dict[str, Any] = field(default_factory=dict)


def fixed_holdout(messages: pd.DataFrame, settings: Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(base, holdout): a stratified random share of the whole corpus, the same on every retrain."""
    parts = random_split(messages, settings.holdout_fraction, settings.seed)
    return parts.train, parts.test


def build_spam_snapshot(settings: Settings, store: Store, *, upto_id: int | None = None) -> SpamSnapshot:
    """Snapshot fresh training data; `upto_id` pins the consensus-label watermark (default: all so far)."""
    messages = corpora.load_spam(settings)
    manifest = corpora.read_manifest(settings, "spam") or {}
    base, holdout = fixed_holdout(messages, settings)
    base = base.sort_values("date", na_position="last", kind="stable")
    base = base.iloc[: max(1, round(len(base) * settings.base_fraction))]
    corpus_rows = pd.DataFrame(
        {"text": message_texts(base), "label": base["label"].astype("int64"), "source": "corpus"}
    )

    with store.session() as session:
        labels = read_training_labels(session, model="spam", upto_id=upto_id)
    n_recent = _recent_size(len(labels.frame), settings)
    older, recent = (
        labels.frame.iloc[: len(labels.frame) - n_recent],
        labels.frame.iloc[len(labels.frame) - n_recent :],
    )
    label_rows = older[["text", "label", "source"]].astype({"label": "int64"})

    holdout_rows = pd.DataFrame(
        {
            "message_id": holdout["message_id"].to_numpy(),
            "text": message_texts(holdout),
            "label": holdout["label"].astype("int64").to_numpy(),
        }
    )
    train, report = validate_spam(
        pd.concat([corpus_rows, label_rows], ignore_index=True),
        holdout=holdout_rows,
        min_spam_share=settings.min_spam_share,
        max_spam_share=settings.max_spam_share,
    )
    holdout_rows["text"] = holdout_rows["text"].map(redact_pii)
    recent_rows = pd.DataFrame(
        {"text": recent["text"].map(redact_pii), "label": recent["label"].astype("int64")}
    )
    lineage = snapshot_lineage(
        manifest=manifest,
        watermark=labels.watermark,
        n_labels_trained=len(label_rows),
        train=train,
        holdout=holdout_rows,
        recent=recent_rows,
    )
    return SpamSnapshot(
        train=train,
        holdout=holdout_rows.reset_index(drop=True),
        recent=recent_rows,
        validation=report.as_dict(),
        lineage=lineage,
    )


def _recent_size(n_labels: int, settings: Settings) -> int:
    """Withhold the newest labels for the gate only when there are enough of them to mean something."""
    n = int(n_labels * settings.recent_fraction)
    return n if n >= settings.gate_min_recent else 0
