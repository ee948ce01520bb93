"""The spam filter's candidates and the gate's comparison for it: fitting at the operating point, the
binary decisions both models make on the window and the holdout, and labelled shadow traffic."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from closedloop.gate import BinaryOutcomes, Floor, GateDecision, GatePolicy, decide
from closedloop.kinds.spam.config import NAME
from closedloop.kinds.spam.packaging import SpamFilterModel
from closedloop.retraining.candidate import Candidate
from closedloop.store import Store, read_training_labels, shadow_predictions
from models.spam.metrics import classification_report

VALIDATION_FRACTION = 0.15


def train_spam_candidate(
    snapshot: Any, name: str, *, seed: int = 0, target_fpr: float | None = None
) -> Candidate:
    """Fit on the snapshot's training rows at its operating point, and score the holdout.

    With `target_fpr`, the baseline is cross-fitted (`fit_at_operating_point`: the threshold meets the FPR on
    out-of-fold scores of the newest rows, then one fit on everything); the torch model, and any model with
    `target_fpr=None`, fits on the older 85 % and chooses its threshold (and early stopping) on the newest
    15 %."""
    from models.spam.training import fit_at_operating_point, fit_spam_model  # torch: only when one trains

    started = time.perf_counter()
    train = snapshot.train
    if target_fpr is not None and name == "baseline":
        fitted = fit_at_operating_point(
            name,
            texts=train["text"].tolist(),
            labels=train["label"].to_numpy(),
            target_fpr=target_fpr,
            seed=seed,
        )
        sizes = {"n_fit": len(train), "n_val": int(fitted.validation["n"])}
    else:
        n_val = max(1, int(len(train) * VALIDATION_FRACTION))
        fit_part, val = train.iloc[:-n_val], train.iloc[-n_val:]
        fitted = fit_spam_model(
            name,
            fit_texts=fit_part["text"].tolist(),
            fit_labels=fit_part["label"].to_numpy(),
            val_texts=val["text"].tolist(),
            val_labels=val["label"].to_numpy(),
            seed=seed,
            progress=False,
            target_fpr=target_fpr,
        )
        sizes = {"n_fit": len(fit_part), "n_val": n_val}
    proba = fitted.estimator.predict_proba(snapshot.holdout["text"].tolist())[:, 1]
    holdout = classification_report(snapshot.holdout["label"].to_numpy(), proba, fitted.threshold)
    return Candidate(
        task=NAME,
        name=name,
        estimator=fitted.estimator,
        threshold=fitted.threshold,
        selection_score=float(fitted.validation["f1"]),
        holdout_metrics={f"holdout_{k}": float(v) for k, v in holdout.items()},
        params={
            "model": name,
            **fitted.estimator.get_params(),
            **sizes,
            "target_fpr": target_fpr,
            "validation_recall": float(fitted.validation["recall"]),
            "validation_fpr": float(fitted.validation["fpr"]),
        },
        history=fitted.history,
        seconds=time.perf_counter() - started,
    )


def spam_decisions(model: Any, threshold: float, texts: list[str]) -> np.ndarray:
    """Binary decisions of a spam model at its own threshold: what the gate compares."""
    if not texts:
        return np.zeros(0, dtype=bool)
    return np.asarray(model.predict_proba(texts))[:, 1] >= threshold


def judge_spam(
    candidate: Candidate,
    champion: SpamFilterModel | None,
    snapshot: Any,
    policy: GatePolicy,
    *,
    floors: list[Floor],
    shadow: pd.DataFrame | None = None,
) -> GateDecision:
    """Compare binary decisions on the window (plus labelled shadow traffic) and on the base holdout.

    `shadow` holds live predictions that the champion served and this challenger shadow-scored, since
    labelled: columns `text`, `label`, `champion`, `challenger` (decisions). A text already in the window
    counts once.
    """
    assert candidate.threshold is not None

    def outcomes(texts: list[str], y: np.ndarray) -> BinaryOutcomes:
        new = spam_decisions(candidate.estimator, candidate.threshold or 0.5, texts)
        old = None if champion is None else spam_decisions(champion.estimator, champion.threshold, texts)
        return BinaryOutcomes(y_true=y.astype(bool), challenger=new, champion=old)

    holdout = outcomes(snapshot.holdout["text"].tolist(), snapshot.holdout["label"].to_numpy())
    if champion is None:
        return decide(metric="f1", holdout=holdout, floors=floors, policy=policy)
    window_texts = snapshot.window["text"].tolist()
    y_window = snapshot.window["label"].to_numpy()
    window = outcomes(window_texts, y_window) if window_texts else None
    if shadow is not None and len(shadow):
        extra = shadow[~shadow["text"].isin(set(window_texts))]
        window = _pooled(window, extra)
    decision = decide(metric="f1", holdout=holdout, window=window, floors=floors, policy=policy)
    decision.evidence["window_sources"] = {
        "backtest": len(window_texts),
        "shadow": 0 if shadow is None else int(len(shadow) - shadow["text"].isin(set(window_texts)).sum()),
    }
    return decision


SHADOW_COLUMNS = ["text", "label", "champion", "challenger"]


def labelled_shadow(store: Store, *, champion_version: str, challenger_version: str) -> pd.DataFrame:
    """Live spam traffic that `champion_version` served and `challenger_version` shadow-scored, and that has
    since been labelled: one row per message (`SHADOW_COLUMNS`; the two models' decisions as served), the
    newest prediction of a message speaking for it."""
    from closedloop.kinds import kind  # kinds import this module: looked up when called

    spam = kind("spam")
    with store.session() as session:
        shadow = shadow_predictions(
            session, model="spam", champion_version=champion_version, challenger_version=challenger_version
        )
        labels = read_training_labels(session, kind=spam).frame
    if shadow.empty or labels.empty:
        return pd.DataFrame(columns=SHADOW_COLUMNS)
    texts = [i.get("text") or f"{i.get('subject', '')}\n\n{i.get('body', '')}" for i in shadow["input"]]
    frame = pd.DataFrame(
        {
            "text": texts,
            "key": [spam.subject_key({"text": text}) for text in texts],
            "champion": [bool(o["is_spam"]) for o in shadow["output"]],
            "challenger": [bool(o["is_spam"]) for o in shadow["shadow_output"]],
        }
    )
    frame["label"] = frame["key"].map(dict(zip(labels["subject_key"], labels["label"], strict=True)))
    frame = frame.dropna(subset=["label"]).drop_duplicates("key", keep="last")
    return frame.astype({"label": "int64"})[SHADOW_COLUMNS].reset_index(drop=True)


def _pooled(window: BinaryOutcomes | None, shadow: pd.DataFrame) -> BinaryOutcomes | None:
    if shadow.empty:
        return window
    parts = [] if window is None else [(window.y_true, window.challenger, window.champion)]
    parts.append(
        (
            shadow["label"].to_numpy().astype(bool),
            shadow["challenger"].to_numpy().astype(bool),
            shadow["champion"].to_numpy().astype(bool),
        )
    )
    y, new, old = (np.concatenate([p[i] for p in parts]) for i in range(3))
    return BinaryOutcomes(y_true=y, challenger=new, champion=old)
