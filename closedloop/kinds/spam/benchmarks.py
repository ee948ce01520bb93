"""The spam filter in the benchmark suites (`python -m bench`): its training protocols, the requests the
serving suite sends it (and `mlflow models serve`), the active-learning simulation on its corpus, and
example history for the dashboard. The suites read it through `bench.contract.KindBenchmarks`; this module
never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from closedloop import corpora
from closedloop.kinds.spam import examples
from closedloop.kinds.spam.corpus import SPAM_ASSASSIN, load_spam
from closedloop.settings import Settings

LOAD_MESSAGES = 500  # drawn from the replay stream for the serving suite
LOAD_SEED = 0


@dataclass(frozen=True)
class PredictionLoad:
    """Requests to the kind's prediction route, the same inputs as its logged pyfunc model takes them, a
    batch route answering many at once, a feedback event any prediction may receive, what the requests are,
    and how the champion's wrapper turns a request's `text` into its estimator's input (for the peers)."""

    path: str
    requests: tuple[dict[str, Any], ...]
    pyfunc_records: tuple[dict[str, Any], ...]
    batch_path: str
    feedback: dict[str, Any]
    description: str
    peer_prepare: Callable[[str], str] | None


@dataclass(frozen=True)
class LabelingPool:
    """The active-learning simulation's data: rows of one corpus to label from (`pool_*`) and to score on
    (`holdout_*`), the model retrained at every step, and how the report names them."""

    pool_rows: list[int]
    pool_labels: np.ndarray
    holdout_rows: list[int]
    holdout_labels: np.ndarray
    make_model: Callable[[], Any]
    corpus: str
    unit: str
    model: str


class SpamBenchmarks:
    """The spam filter's parts in the benchmark suites."""

    suites = frozenset({"train", "retrain", "serving", "dashboard", "curve", "labeling", "loop", "scoring"})
    training_caption = "Spam filter (SpamAssassin, de-duplicated; threshold chosen on validation data only)"
    training_runs = tuple(
        ("--model", model, "--split", split)
        for model, split in (
            ("baseline", "random"),
            ("torch", "random"),
            ("baseline", "time"),
            ("torch", "time"),
        )
    )
    training_columns = (
        ("model", "model"), ("split", "split"), ("F1", "f1"), ("precision", "precision"),
        ("recall", "recall"), ("FPR", "fpr"), ("ROC AUC", "roc_auc"), ("n_train", "n_train"),
        ("n_test", "n_test"), ("seconds", "seconds"),
    )  # fmt: skip
    traffic_share = 0.7  # of the dashboard benchmark's predictions
    example_curve = ("f1", (2.0, 0.5, 0.03))  # the learning-curve report's metric and power law (a, b, c)
    example_prediction = staticmethod(examples.example_prediction)
    example_feedback = staticmethod(examples.example_feedback)
    example_alias_moves = staticmethod(examples.example_alias_moves)
    example_gate_decisions = staticmethod(examples.example_gate_decisions)

    def prediction_load(self, settings: Settings) -> PredictionLoad:
        """`LOAD_MESSAGES` messages drawn at random (fixed seed) from the replay stream of the corpus of
        `settings` (what follows the replay's base period, `replay_base_fraction`), so their lengths are the
        stream's; each sent as the `text` the API joins from subject and body. Messages the API refuses (a
        NUL, a lone surrogate, longer than `max_text_chars`) are not drawn: a replay skips them too."""
        from closedloop.kinds.spam.snapshot import split_base_period
        from closedloop.serving.bodies import check_text
        from models.redaction import redact_pii
        from models.spam.corpus import message_texts

        corpora.fetch(settings, SPAM_ASSASSIN)
        replaying = settings.model_copy(update={"base_fraction": settings.replay_base_fraction})
        _base, stream = split_base_period(load_spam(settings), replaying)
        texts = [t for t in message_texts(stream) if _accepted(t, settings.max_text_chars, check_text)]
        rng = np.random.default_rng(LOAD_SEED)
        drawn = rng.choice(len(texts), size=min(LOAD_MESSAGES, len(texts)), replace=False)
        records = tuple({"text": texts[i]} for i in drawn)
        median = int(np.median([len(r["text"]) for r in records]))
        return PredictionLoad(
            path="/v1/spam/predict",
            requests=records,
            pyfunc_records=records,
            batch_path="/v1/spam/predict:batch",
            feedback={"kind": "report_spam"},
            description=f"{len(records)} messages of the replay stream (seed {LOAD_SEED}), median "
            f"{median:,} characters, in turn",
            peer_prepare=redact_pii,  # what `SpamFilterModel` does to a text before its estimator
        )

    def history_load(self, champion: Callable[[], Any], total: int) -> None:
        """None: a message's prediction reads no history of its sender."""
        return None

    def labeling_pool(self, settings: Settings) -> LabelingPool:
        """The base period's messages to label, the retrain flow's fixed holdout to score on, and the
        baseline refit from term counts analysed once per text (`CachedSpamBaseline`)."""
        from closedloop.kinds.spam.snapshot import fixed_holdout
        from models.labeling.cached_baseline import CachedSpamBaseline, CorpusCounts
        from models.spam.corpus import message_texts

        corpora.fetch(settings, SPAM_ASSASSIN)
        pool, holdout = fixed_holdout(load_spam(settings), settings)
        counts = CorpusCounts(message_texts(pool) + message_texts(holdout))  # each text analysed once
        return LabelingPool(
            pool_rows=list(range(len(pool))),
            pool_labels=pool["label"].to_numpy(dtype=np.int64),
            holdout_rows=list(range(len(pool), len(pool) + len(holdout))),
            holdout_labels=holdout["label"].to_numpy(dtype=np.int64),
            make_model=lambda: CachedSpamBaseline(counts),
            corpus="the spam corpus",
            unit="messages",
            model="baseline",
        )

    def scoring_cost(self, settings: Settings) -> dict[str, Any]:
        """The baseline fitted on each protocol split, its validation messages scored by scikit-learn's
        pipeline and by the compiled scorer, taking turns (`models.spam.scoring_cost`)."""
        from closedloop import corpora
        from models.spam.scoring_cost import scoring_cost, validation_splits

        corpora.fetch(settings, SPAM_ASSASSIN)
        return {name: scoring_cost(fit, val) for name, fit, val in validation_splits(load_spam(settings))}


def _accepted(text: str, longest: int, check: Callable[[str], str]) -> bool:
    try:
        check(text)
    except ValueError:
        return False
    return 0 < len(text) <= longest and not text.isspace()


class SpamBenchmarking:
    """The benchmark hook of the spam filter."""

    def benchmarks(self) -> SpamBenchmarks:
        return SpamBenchmarks()
