"""The spam training snapshot: the base period of the corpus plus consensus labels up to a watermark,
validated and redacted, with the gate's two evaluation sets and a record of the newest row it read.

- **holdout**: a stratified sample of the *base period* (the earliest `base_fraction` of the corpus by date),
  fixed for a corpus and seed: older than every decision, the gate's non-regression guardrail.
- **window**: the newest `gate_window_fraction` of the labels that arrived after the champion's training
  watermark. Neither the champion nor this snapshot's challenger trains on them, so both are scored on the
  traffic the challenger would serve (an out-of-time backtest). `refit()` folds the window back in.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from closedloop import corpora
from closedloop.kinds.spam.checks import validate_spam
from closedloop.retraining.checks import text_key
from closedloop.retraining.lineage import snapshot_lineage
from closedloop.retraining.windows import newest_event, window_size
from closedloop.settings import Settings
from closedloop.store import Store, read_training_labels
from models.redaction import redact_pii
from models.spam.corpus import message_texts
from models.spam.splits import random_split


@dataclass
class SpamSnapshot:
    train: pd.DataFrame  # text, label, source; oldest first (corpus by date, then labels by id)
    holdout: pd.DataFrame  # message_id, text, label — base period, fixed for a given corpus and seed
    window: pd.DataFrame  # text, label, label_id — newest labels since the champion's, withheld
    validation: dict[str, Any] = field(default_factory=dict)
    lineage: dict[str, Any] = field(default_factory=dict)
    settings: Settings | None = None
    labels_in_window: pd.DataFrame | None = None  # the raw label rows behind `window`, for `refit`
    corpus_rows: pd.DataFrame | None = None
    label_rows: pd.DataFrame | None = None

    def refit(self) -> SpamSnapshot:
        """The same snapshot with the window trained on: what a promoted challenger is refit on."""
        if self.settings is None or self.corpus_rows is None or self.label_rows is None:
            raise ValueError("this snapshot was not built by build_spam_snapshot; nothing to refit")
        train, report = _validated(self.corpus_rows, self.label_rows, self.holdout, self.settings)
        lineage = {**self.lineage, "n_train": len(train), "labels_in_training": len(self.label_rows)}
        lineage["window"] = {**lineage["window"], "trained_on": True}
        lineage["trained_upto"] = {"labels": lineage["feedback_watermark"]["last_label_id"]}
        empty = self.window.iloc[0:0]
        return replace(self, train=train, window=empty, validation=report.as_dict(), lineage=lineage)


def split_base_period(messages: pd.DataFrame, settings: Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(base period, later): the earliest `base_fraction` of messages by date (the first max(1, round(n *
    fraction)) rows), and everything after it — what a replay streams as traffic."""
    ordered = messages.sort_values(["date", "message_id"], na_position="last", kind="stable")
    cut = max(1, round(len(ordered) * settings.base_fraction))
    return ordered.iloc[:cut].reset_index(drop=True), ordered.iloc[cut:].reset_index(drop=True)


def fixed_holdout(messages: pd.DataFrame, settings: Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(base, holdout): a stratified random `holdout_fraction` of the base period, the same on every retrain;
    `base` is the rest of the base period, oldest first."""
    period, _later = split_base_period(messages, settings)
    parts = random_split(period, settings.holdout_fraction, settings.seed)
    base = parts.train.sort_values(["date", "message_id"], na_position="last", kind="stable")
    return base.reset_index(drop=True), parts.test


def build_spam_snapshot(
    settings: Settings,
    store: Store,
    *,
    upto_id: int | None = None,
    champion_upto_id: int | None = None,
    window_share: float | None = None,
) -> SpamSnapshot:
    """Snapshot fresh training data. `upto_id` pins the label watermark (default: every label so far);
    `champion_upto_id` is the champion's own training watermark: labels after it are new to both models,
    and the newest share of them becomes the window (None: every label is new; `window_share` overrides
    `gate_window_fraction`)."""
    from closedloop.kinds.spam.corpus import SPAM_ASSASSIN, load_spam  # here: the kind imports this module

    messages = load_spam(settings)
    manifest = corpora.read_manifest(settings, SPAM_ASSASSIN) or {}
    base, holdout = fixed_holdout(messages, settings)
    corpus_rows = pd.DataFrame(
        {"text": message_texts(base), "label": base["label"].astype("int64"), "source": "corpus"}
    )
    holdout_rows = pd.DataFrame(
        {
            "message_id": holdout["message_id"].to_numpy(),
            "text": message_texts(holdout),
            "label": holdout["label"].astype("int64").to_numpy(),
        }
    )

    from closedloop.kinds import kind  # kinds import this module: looked up when called

    with store.session() as session:
        labels = read_training_labels(session, kind=kind("spam"), upto_id=upto_id)
    frame = labels.frame
    new = frame["label_id"] > champion_upto_id if champion_upto_id is not None else frame["label_id"] > -1
    n_window = window_size(int(new.sum()), settings, window_share)
    train_labels, window_labels = frame.iloc[: len(frame) - n_window], frame.iloc[len(frame) - n_window :]

    train, report = _validated(corpus_rows, train_labels, holdout_rows, settings)
    holdout_rows["text"] = holdout_rows["text"].map(redact_pii)
    window = _window_rows(window_labels, train, holdout_rows)
    reads = newest_event(
        corpus=base["date"], holdout=holdout["date"], labels=pd.to_datetime(frame["created_at"], utc=True)
    )
    lineage = snapshot_lineage(
        manifest=manifest,
        watermark=labels.watermark,
        n_labels_trained=len(train_labels),
        train=train,
        holdout=holdout_rows,
        recent=window[["text", "label"]],
    )
    lineage["reads"] = reads
    lineage["window"] = {
        "champion_upto_id": champion_upto_id,
        "n": len(window),
        "first_label_id": int(window_labels["label_id"].iloc[0]) if n_window else None,
        "last_label_id": int(window_labels["label_id"].iloc[-1]) if n_window else None,
        "trained_on": False,
    }
    last_trained = train_labels["label_id"].iloc[-1] if len(train_labels) else None
    lineage["trained_upto"] = {"labels": None if last_trained is None else int(last_trained)}
    return SpamSnapshot(
        train=train,
        holdout=holdout_rows.reset_index(drop=True),
        window=window,
        validation=report.as_dict(),
        lineage=lineage,
        settings=settings,
        corpus_rows=corpus_rows,
        label_rows=frame,
    )


def _validated(
    corpus_rows: pd.DataFrame, labels: pd.DataFrame, holdout: pd.DataFrame, settings: Settings
) -> tuple[pd.DataFrame, Any]:
    label_rows = labels[["text", "label", "source"]].astype({"label": "int64"})
    return validate_spam(
        pd.concat([corpus_rows, label_rows], ignore_index=True),
        holdout=holdout,
        min_spam_share=settings.min_spam_share,
        max_spam_share=settings.max_spam_share,
    )


def _window_rows(labels: pd.DataFrame, train: pd.DataFrame, holdout: pd.DataFrame) -> pd.DataFrame:
    """The window's messages, redacted; a text already trained on or in the holdout is left out, so the
    window scores only what is new to both models."""
    rows = pd.DataFrame(
        {
            "text": labels["text"].map(redact_pii).to_numpy(),
            "label": labels["label"].astype("int64").to_numpy(),
            "label_id": labels["label_id"].astype("int64").to_numpy(),
        }
    )
    seen = set(train["text"].map(text_key)) | set(holdout["text"].map(text_key))
    return rows[~rows["text"].map(text_key).isin(seen)].reset_index(drop=True)
