"""`TabularClassifier`: every hook of the model-kind contract for a binary classifier over numeric features.

A subclass sets `config` (name, registered name, floors, labeling task, `feedback_kinds`: the two reports
users send, positive first) and `table` (`Table`: the feature names and the estimators it may train), and
implements `load(settings)`: the base cases, one row per case in arrival order, the features and `label`.
"""

from __future__ import annotations

import hashlib
import json
import time
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from closedloop.gate import BinaryOutcomes, GateDecision, decide
from closedloop.kinds.contract import ModelKind, QueueItem, Route, Vote
from closedloop.kinds.quality import LiveQuality, time_buckets
from closedloop.kinds.tabular.serving import CaseIn, CaseOut, TabularModel, answer, checked_case
from closedloop.kinds.tabular.snapshot import TabularSnapshot, build_snapshot
from closedloop.monitoring.figures import confusion_family
from closedloop.retraining.candidate import Candidate
from closedloop.retraining.policy import gate_policy
from closedloop.serving import ServingContext
from closedloop.settings import Settings
from closedloop.store import InvalidLabel, Store, read_answers
from models.classification import classification_report
from models.tabular import fit_at_fpr


@dataclass(frozen=True)
class Table:
    """What a tabular kind's data looks like: its feature columns, in the order models see them."""

    features: tuple[str, ...]


class TabularClassifier(ModelKind):
    """A binary classifier over a table of numeric features (see the module docstring)."""

    table: Table

    @abstractmethod
    def load(self, settings: Settings) -> pd.DataFrame:
        """The base cases in arrival order: the `table.features` columns and a 0/1 `label`."""

    # --- data -------------------------------------------------------------------------------------------

    def cases(self, settings: Settings) -> pd.DataFrame:
        cases = self.load(settings)
        missing = [c for c in (*self.table.features, "label") if c not in cases.columns]
        if missing:
            raise ValueError(f"{self.name}: the base cases lack columns {missing}")
        return cases.reset_index(drop=True)

    def fetch(self, settings: Settings, *, source: Path | None = None, force: bool = False) -> dict[str, Any]:
        cases = self.cases(settings)
        return {
            self.name: {
                "cached": True,
                "counts": {"cases": len(cases), "positive": int(cases["label"].sum())},
            }
        }

    def case_key(self, case: Mapping[str, float]) -> str:
        """A case's identity: the sha256 of its features, rounded to 9 digits, in the table's order."""
        values = [round(float(case[name]), 9) for name in self.table.features]
        return "sha256:" + hashlib.sha256(json.dumps(values).encode()).hexdigest()

    # --- retraining -------------------------------------------------------------------------------------

    def snapshot(
        self, settings: Settings, store: Store, *, trained_on: Any, window_share: float | None = None
    ) -> TabularSnapshot:
        return build_snapshot(
            self, settings, store, champion_upto_id=trained_on.labels, window_share=window_share
        )

    def train(self, snapshot: TabularSnapshot, name: str, settings: Settings) -> Candidate:
        started = time.perf_counter()
        train = snapshot.train
        fitted = fit_at_fpr(
            name,
            train[snapshot.features],
            train["label"].to_numpy(),
            target_fpr=settings.target_fpr,
            seed=settings.seed,
        )
        oof = classification_report(train["label"].to_numpy(), fitted.oof_scores, fitted.threshold)
        proba = fitted.estimator.predict_proba(
            snapshot.holdout[snapshot.features].to_numpy(dtype=np.float64)
        )[:, 1]
        holdout = classification_report(snapshot.holdout["label"].to_numpy(), proba, fitted.threshold)
        return Candidate(
            task=self.name,
            name=name,
            estimator=fitted.estimator,
            threshold=fitted.threshold,
            selection_score=float(oof["f1"]),
            holdout_metrics={f"holdout_{k}": float(v) for k, v in holdout.items()},
            params={"model": name, "n_train": len(train), "target_fpr": settings.target_fpr},
            seconds=time.perf_counter() - started,
        )

    def judge(
        self,
        candidate: Candidate,
        champion: TabularModel | None,
        snapshot: TabularSnapshot,
        settings: Settings,
        *,
        shadow: pd.DataFrame | None = None,
    ) -> GateDecision:
        challenger = self.wrap(candidate, snapshot)

        def outcomes(rows: pd.DataFrame) -> BinaryOutcomes:
            y = rows["label"].to_numpy().astype(bool)
            new = challenger.probability(rows) >= challenger.threshold
            old = None if champion is None else champion.probability(rows) >= champion.threshold
            return BinaryOutcomes(y_true=y, challenger=new, champion=old)

        holdout = outcomes(snapshot.holdout)
        window = outcomes(snapshot.window) if champion is not None and len(snapshot.window) else None
        policy = gate_policy(settings)
        return decide(
            metric="f1", holdout=holdout, window=window, floors=self.floors(settings), policy=policy
        )

    def wrap(self, candidate: Candidate, snapshot: TabularSnapshot) -> TabularModel:
        return TabularModel(candidate.estimator, candidate.threshold or 0.5, list(self.table.features))

    def input_example(self) -> pd.DataFrame:
        return pd.DataFrame([dict.fromkeys(self.table.features, 0.0)])

    # --- serving ----------------------------------------------------------------------------------------

    def routes(self) -> Sequence[Route]:
        features = list(self.table.features)

        def predict(body: CaseIn, context: ServingContext) -> CaseOut:
            """Score one case.

            Send every feature of the table by name. The answer carries a `prediction_id` to send feedback
            against (one of the kind's two reports) and the `model_version` that scored it."""
            return answer(context, checked_case(body, features))

        return [Route(path=f"/{self.name}/predict", request=CaseIn, response=CaseOut, handler=predict)]

    def warm(self, wrapper: TabularModel) -> None:
        wrapper.probability(self.input_example())

    # --- feedback and labels ----------------------------------------------------------------------------

    def _reports(self) -> dict[str, int]:
        positive, negative = self.config.feedback_kinds
        return {positive: 1, negative: 0}

    def check_feedback(self, kind: str, value: Any, output: dict[str, Any]) -> None:
        return None  # a report on a case takes any value (a reason, or none)

    def vote(self, kind: str, value: Any, given: dict[str, Any]) -> Vote | None:
        label = self._reports().get(kind)
        if label is None:
            return None
        case = given["case"]
        return Vote(key=self.case_key(case), subject={"case": case}, label=label)

    def subject_key(self, subject: dict[str, Any]) -> str:
        case = subject.get("case")
        if not isinstance(case, dict) or any(name not in case for name in self.table.features):
            raise InvalidLabel(f'a {self.name} label needs subject={{"case": {{feature: value, ...}}}}')
        return self.case_key(case)

    def label_columns(self) -> dict[str, str]:
        return {"subject_key": "object", "case": "object"}

    # --- labeling ---------------------------------------------------------------------------------------

    def queue_items(
        self, given: dict[str, Any], output: dict[str, Any], shadow: dict[str, Any] | None, describe: Any
    ) -> list[QueueItem]:
        case = given["case"]
        return [
            QueueItem(
                key=self.case_key(case),
                subject={"case": case},
                model_label=int(bool(output.get("positive"))),
                score=output.get("probability"),
                threshold=output.get("threshold"),
            )
        ]

    def label_subject(self, item_subject: dict[str, Any]) -> dict[str, Any]:
        return {"case": item_subject["case"]}

    def gold_item(self, item: dict[str, Any]) -> QueueItem:
        subject = {"case": item.get("case")}
        return QueueItem(key=self.subject_key(subject), subject=subject, model_label=None)

    def show(self, subject: dict[str, Any]) -> Any:
        from closedloop.kinds.tasks import Shown

        case = subject.get("case") or {}
        return Shown(
            fields=tuple((name, f"{float(case[name]):.4g}") for name in self.table.features if name in case)
        )

    # --- dashboard --------------------------------------------------------------------------------------

    def live_quality(
        self, session: Session, *, since: datetime, width: int, served: Mapping[int, int]
    ) -> LiveQuality:
        family = confusion_family(
            answered="labeled by feedback",
            note=f"Labels: the latest {' / '.join(self.config.feedback_kinds)} per prediction.",
        )
        answers = read_answers(session, model=self.name, since=since)
        latest = answers[answers["source"] == "feedback"].drop_duplicates("prediction_id", keep="last")
        truth = latest["kind"].map(self._reports())
        latest, positive = latest[truth.notna()], truth[truth.notna()].astype(bool)
        said = pd.Series([bool(o["positive"]) for o in latest["output"]], index=latest.index, dtype=bool)
        frame = pd.DataFrame(
            {
                "bucket": time_buckets(latest["served_at"], width),
                "tp": positive & said,
                "fp": ~positive & said,
                "fn": positive & ~said,
                "tn": ~positive & ~said,
            }
        )
        per_bucket = frame.groupby("bucket")[list(family.counts)].sum()
        buckets = {int(b): tuple(float(n) for n in row) for b, row in per_bucket.iterrows()}
        return LiveQuality(family=family, buckets=buckets, answered=len(frame))
