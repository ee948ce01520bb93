"""What the benchmark suites expect of a kind (`ModelKind.benchmarks()`), and which kinds a suite measures.

A kind says itself which suites it takes part in and hands over what they need; no suite names a kind. A
suite that measures every kind taking part (train, retrain, curve, replay, dashboard) iterates over them; a
suite with one figure (serving, labeling, loop) measures the kind named with `--kind`, else the first
registered kind that takes part.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import numpy as np

from closedloop.gate import GateDecision
from closedloop.kinds import ModelKind, kinds
from closedloop.settings import Settings
from closedloop.store import FeedbackIn, InteractionIn, PredictionRecord

AliasMoves = list[tuple[int, str, str | None, str, dict[str, Any]]]  # (hours ago, to, from, reason, evidence)


class PredictionLoad(Protocol):
    """Requests to a prediction route, the same inputs as the logged pyfunc model takes them, a batch route
    answering `{"items": [request, ...]}` with `{"predictions": [{"prediction_id": ...}, ...]}`, a
    feedback event (its `kind`, `value`) any prediction may receive, a sentence saying what the requests
    are, and (for the peer servers, `bench.peers`) the function of `models/` that turns a pyfunc record's
    `text` into the input of the champion's estimator, as its wrapper does; None: no peers measured."""

    @property
    def path(self) -> str: ...
    @property
    def requests(self) -> tuple[dict[str, Any], ...]: ...
    @property
    def pyfunc_records(self) -> tuple[dict[str, Any], ...]: ...
    @property
    def batch_path(self) -> str: ...
    @property
    def feedback(self) -> dict[str, Any]: ...
    @property
    def description(self) -> str: ...
    @property
    def peer_prepare(self) -> Callable[[str], str] | None: ...


class HistoryLoad(Protocol):
    """Interactions to log before serving, and requests whose answers fold them in."""

    @property
    def path(self) -> str: ...
    @property
    def requests(self) -> tuple[dict[str, Any], ...]: ...
    @property
    def events(self) -> list[InteractionIn]: ...


class LabelingPool(Protocol):
    """The active-learning simulation's rows to label from and to score on, the model retrained at every
    step (`models.labeling.simulation`), and how the report names the corpus, its units and the model."""

    @property
    def pool_rows(self) -> list[int]: ...
    @property
    def pool_labels(self) -> np.ndarray: ...
    @property
    def holdout_rows(self) -> list[int]: ...
    @property
    def holdout_labels(self) -> np.ndarray: ...
    @property
    def make_model(self) -> Callable[[], Any]: ...
    @property
    def corpus(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def model(self) -> str: ...


class ReplayReport(Protocol):
    """How a kind's replay result reads in the replay suite's tables (the kind's replay object)."""

    @property
    def unit(self) -> str:
        """What one streamed item is, plural ("messages")."""

    @property
    def cell_header(self) -> str:
        """What a per-chunk cell shows ("F1 / FPR")."""

    def cell(self, scores: dict[str, Any]) -> str:
        """One chunk's (or the whole stream's) scores in a table cell."""

    def caption(self, result: dict[str, Any], setup: str) -> str:
        """The paragraph above the per-chunk table; `setup` describes the run's shared settings."""

    def notes(self, result: dict[str, Any]) -> list[str]:
        """The kind's own settings to name in the setup sentence."""

    def verdicts(self, result: dict[str, Any]) -> list[tuple[str, str, bool]]:
        """(target, measured, met) for each of the kind's replay targets."""


@runtime_checkable
class KindBenchmarks(Protocol):
    """A kind's parts in the benchmark suites."""

    @property
    def suites(self) -> frozenset[str]:
        """The suites the kind takes part in (names of `bench.__main__.SUITES`)."""

    @property
    def training_caption(self) -> str:
        """What the train suite's table of this kind measures (corpus, split, protocol)."""

    @property
    def training_runs(self) -> tuple[tuple[str, ...], ...]:
        """The arguments after `closedloop train <kind>` of each run of the train suite."""

    @property
    def training_columns(self) -> tuple[tuple[str, str], ...]:
        """(header, key of a run's JSON) of each column of the train suite's table."""

    @property
    def traffic_share(self) -> float:
        """The kind's weight in the dashboard benchmark's mixed traffic."""

    @property
    def example_curve(self) -> tuple[str, tuple[float, float, float]]:
        """The example learning curve's metric and power law (a, b, c): score(n) = 1 − (a·n^(−b) + c)."""

    def example_prediction(self, rng: random.Random, index: int, at: datetime) -> PredictionRecord:
        """An example logged prediction, number `index`, made at `at`."""

    def example_feedback(
        self, rng: random.Random, record: PredictionRecord, at: datetime
    ) -> list[FeedbackIn]:
        """What users say about an example prediction made at `at`."""

    def example_alias_moves(self) -> AliasMoves:
        """Example champion moves for the audit log."""

    def example_gate_decisions(self) -> tuple[list[GateDecision], str]:
        """Example gate verdicts on versions 1, 2, …, and the champion version they leave."""

    def prediction_load(self, settings: Settings) -> PredictionLoad | None:
        """What the serving suite sends this kind's route, `mlflow models serve` and the peer servers, drawn
        from the corpus of `settings` (fetched if missing); None: not measured."""

    def history_load(self, champion: Callable[[], Any], total: int) -> HistoryLoad | None:
        """`total` interactions for the users of the champion (`champion()` loads its serving wrapper) and
        requests reading them; None: not measured (without loading the champion)."""

    def labeling_pool(self, settings: Settings) -> LabelingPool | None:
        """The active-learning simulation's data on the corpus of `settings`; None: not simulated."""

    def scoring_cost(self, settings: Settings) -> dict[str, Any] | None:
        """The scoring suite's figures: per split of the kind's evaluation protocol (validation sets only),
        {"n_val", "median_chars_timed", "max_abs_probability_difference", and per way of scoring
        ("sklearn", "compiled") {"f1", "roc_auc", "ms_batch_1", "ms_batch_8"}}; None: not measured."""


class NotMeasured(LookupError):
    """No registered kind (or not the one asked for) takes part in a suite."""


def taking_part(suite: str, only: str | None = None) -> list[tuple[ModelKind, KindBenchmarks]]:
    """The registered kinds that take part in `suite`, in order; `only`: just that kind (or none)."""
    found = []
    for candidate in kinds():
        parts = candidate.benchmarks()
        if parts is None or suite not in parts.suites:
            continue
        if only is None or only in (candidate.name, candidate.config.registered_name):
            found.append((candidate, parts))
    return found


def measured(suite: str, only: str | None = None) -> tuple[ModelKind, KindBenchmarks]:
    """The kind a one-figure suite measures: `only`, else the first registered kind taking part."""
    found = taking_part(suite, only)
    if not found:
        names: Sequence[str] = [k.name for k, _ in taking_part(suite)]
        raise NotMeasured(
            f"no registered kind {'called ' + repr(only) + ' ' if only else ''}takes part in the {suite} "
            f"suite; kinds that do: {', '.join(names) or 'none'}"
        )
    return found[0]


def benchmarks_of(name: str) -> tuple[ModelKind, KindBenchmarks]:
    """A registered kind and its benchmark parts, by name (to render a stored result)."""
    for candidate in kinds():
        if name in (candidate.name, candidate.config.registered_name):
            parts = candidate.benchmarks()
            if parts is not None:
                return candidate, parts
    raise NotMeasured(f"no registered kind {name!r} takes part in the benchmarks")
