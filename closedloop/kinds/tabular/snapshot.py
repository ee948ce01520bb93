"""A tabular kind's training snapshot: its base cases plus consensus labels up to a watermark, with the
gate's holdout (a stratified sample of the base period) and window (the newest share of the labels that the
champion has not seen), and the newest row it read.

A labelled case's subject is `{"case": {feature: value}}`; its features become a row like the base's.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pandas as pd
from sklearn.model_selection import train_test_split

from closedloop.retraining.lineage import snapshot_lineage
from closedloop.retraining.windows import newest_event, window_size
from closedloop.settings import Settings
from closedloop.store import Store, read_training_labels

if TYPE_CHECKING:
    from closedloop.kinds.tabular.kind import TabularClassifier


@dataclass
class TabularSnapshot:
    train: pd.DataFrame  # the features, label, source; base cases first, then labels by id
    holdout: pd.DataFrame  # the features, label: a stratified sample of the base period
    window: pd.DataFrame  # the features, label, label_id: the newest labels, withheld from training
    features: list[str]
    validation: dict[str, Any] = field(default_factory=dict)
    lineage: dict[str, Any] = field(default_factory=dict)
    labelled: pd.DataFrame | None = None  # every label row read, for `refit`

    def refit(self) -> TabularSnapshot:
        """The same snapshot with the window trained on."""
        window = self.window.drop(columns="label_id").assign(source="label")
        train = pd.concat([self.train, window], ignore_index=True) if len(window) else self.train
        lineage = {
            **self.lineage,
            "n_train": len(train),
            "window": {**self.lineage["window"], "trained_on": True},
        }
        lineage["trained_upto"] = {"labels": lineage["feedback_watermark"]["last_label_id"]}
        return replace(self, train=train, window=self.window.iloc[0:0], lineage=lineage)


def base_period(cases: pd.DataFrame, settings: Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(base period, later): the first `base_fraction` of the cases in arrival order, and the rest."""
    cut = max(1, round(len(cases) * settings.base_fraction))
    return cases.iloc[:cut].reset_index(drop=True), cases.iloc[cut:].reset_index(drop=True)


def build_snapshot(
    kind: TabularClassifier,
    settings: Settings,
    store: Store,
    *,
    champion_upto_id: int | None,
    window_share: float | None = None,
) -> TabularSnapshot:
    """Base cases + every label so far; labels after `champion_upto_id` are new, their newest share is the
    window."""
    features = list(kind.table.features)
    period, _later = base_period(kind.cases(settings), settings)
    base, holdout = train_test_split(
        period, test_size=settings.holdout_fraction, random_state=settings.seed, stratify=period["label"]
    )
    with store.session() as session:
        labels = read_training_labels(session, kind=kind)
    frame = labels.frame
    rows = pd.DataFrame([case for case in frame["case"]], columns=features).assign(
        label=frame["label"].to_numpy(),
        label_id=frame["label_id"].to_numpy(),
        key=frame["subject_key"].to_numpy(),
    )
    new = int((rows["label_id"] > (champion_upto_id if champion_upto_id is not None else -1)).sum())
    n_window = window_size(new, settings, window_share)
    older, newest = rows.iloc[: len(rows) - n_window], rows.iloc[len(rows) - n_window :]
    held = {kind.case_key(row) for row in holdout[features].to_dict("records")}
    older = older[~older["key"].isin(held)]
    parts = [base[[*features, "label"]].assign(source="corpus")]
    if len(older):
        parts.append(older[[*features, "label"]].assign(source="label"))
    train = pd.concat(parts, ignore_index=True)
    window = newest[~newest["key"].isin(held | set(older["key"]))][[*features, "label", "label_id"]]
    holdout = holdout[[*features, "label"]].reset_index(drop=True)
    lineage = snapshot_lineage(
        manifest={"cases": len(period)},
        watermark=labels.watermark,
        n_labels_trained=len(older),
        train=train,
        holdout=holdout,
        recent=window,
    )
    lineage["reads"] = newest_event(labels=frame["created_at"])
    lineage["window"] = {
        "champion_upto_id": champion_upto_id,
        "n": len(window),
        "first_label_id": int(newest["label_id"].iloc[0]) if n_window else None,
        "last_label_id": int(newest["label_id"].iloc[-1]) if n_window else None,
        "trained_on": False,
    }
    last_trained = older["label_id"].max() if len(older) else None
    lineage["trained_upto"] = {"labels": None if last_trained is None else int(last_trained)}
    return TabularSnapshot(
        train=train,
        holdout=holdout,
        window=window.reset_index(drop=True),
        features=features,
        validation={"rows_in": len(base) + len(rows), "rows_out": len(train)},
        lineage=lineage,
        labelled=rows,
    )
