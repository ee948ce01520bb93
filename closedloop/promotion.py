"""The gate applied to real models: score the challenger and the champion on the same window (the newest
labelled traffic neither trained on) and base-period holdout, and decide."""

from __future__ import annotations

import numpy as np
import pandas as pd

from closedloop.candidates import Candidate, spam_decisions
from closedloop.datasets.recsys import RecsysSnapshot
from closedloop.datasets.spam import SpamSnapshot
from closedloop.gate import BinaryOutcomes, Floor, GateDecision, GatePolicy, UnitScores, decide
from closedloop.packaging import RecommenderModel, SpamFilterModel
from closedloop.settings import Settings
from closedloop.store import Store, read_training_labels, shadow_predictions
from models.recsys.metrics import evaluate_from_histories

K = 10
NDCG = "ndcg_at_10"
PAIR = ["user_id", "item_id"]


def gate_policy(settings: Settings) -> GatePolicy:
    return GatePolicy(
        alpha=settings.gate_alpha,
        min_improvement=settings.gate_min_improvement,
        fpr_tolerance=settings.gate_fpr_tolerance,
        n_bootstrap=settings.gate_n_bootstrap,
        seed=settings.seed,
        min_window=settings.gate_min_window,
    )


def judge_spam(
    candidate: Candidate,
    champion: SpamFilterModel | None,
    snapshot: SpamSnapshot,
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


def judge_recsys(
    candidate: Candidate,
    champion: RecommenderModel | None,
    snapshot: RecsysSnapshot,
    policy: GatePolicy,
    *,
    floors: list[Floor],
) -> GateDecision:
    """Compare per-user NDCG@10 on the window and on the holdout. Both models rank each user from the same
    history (the snapshot's, folded in), so only what each learned differs, not what each was shown."""
    train, valid = snapshot.train[PAIR], snapshot.valid[PAIR]

    def scores(relevant: pd.DataFrame, seen: pd.DataFrame) -> UnitScores | None:
        if relevant.empty:
            return None
        history = train[train["user_id"].isin(relevant["user_id"])]
        new = evaluate_from_histories(candidate.estimator, history=history, relevant=relevant, seen=seen)
        old = None
        if champion is not None:
            old = evaluate_from_histories(champion.estimator, history=history, relevant=relevant, seen=seen)
        return UnitScores(
            challenger=new.per_user[f"ndcg@{K}"].to_numpy(),
            champion=None if old is None else old.per_user[f"ndcg@{K}"].to_numpy(),
        )

    holdout = scores(snapshot.holdout[PAIR], valid)
    if holdout is None:
        raise ValueError("the recommender snapshot has an empty holdout")
    window = scores(snapshot.window[PAIR], snapshot.seen) if champion is not None else None
    return decide(metric=NDCG, holdout=holdout, window=window, floors=floors, policy=policy)
