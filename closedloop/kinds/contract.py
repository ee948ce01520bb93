"""The contract of a model kind: everything the platform needs to know about one model to run the whole loop
for it — data, snapshots, candidates, the gate's comparison, packaging, serving routes, feedback, labels,
the labeling queue, monitoring and the replay.

A kind is one package that defines a `ModelKind` subclass and registers an instance (`closedloop.kinds`):
the spam filter (`closedloop.kinds.spam`) and the recommender (`closedloop.kinds.recsys`) ship with
closedloop; a user's own package registers the same way. Generic code — the store, the retrain pipeline,
serving, labeling, monitoring, the CLI, the dashboard, the replay — iterates over the registered kinds and
asks them; none of it names a model. What differs between kinds is handed over as data (`KindConfig`:
feedback kinds, label values, floors, the labeling task) or through the methods below, never by a branch
on a kind's name elsewhere.

Methods fall in groups; each group names the part of the platform that calls it. Optional capabilities
(`monitor`, `live_quality`, `curve`, `replay`, `interactions`, a shadow-scored challenger) have defaults
that say "not supported".
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from closedloop.gate import Floor
from closedloop.kinds.curves import Curve
from closedloop.kinds.quality import LiveQuality

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from closedloop.candidates import Candidate
    from closedloop.gate import GateDecision
    from closedloop.pipeline import Watermarks
    from closedloop.settings import Settings
    from closedloop.store import PredictionRecord, Store

# (user or subject id, item id) -> what an annotator sees beside a queued item (title, history, ...)
Describe = Callable[[int, int], dict[str, Any]]
Sessions = Callable[[], "Session"]


@dataclass(frozen=True)
class Answer:
    """One answer an annotator may give to an item of a task: the stored value, its key and caption."""

    value: int
    key: str  # the keyboard key in the labeling UI
    caption: str


@dataclass(frozen=True)
class LabelingTask:
    """A labeling task: its name (the queue's `task`), the answers, and which consensus label an answer
    becomes (`consensus`: answer value -> stored label; identity when not given)."""

    name: str
    answers: tuple[Answer, ...]
    consensus: dict[int, int] = field(default_factory=dict)

    def stored(self, answer: int) -> int:
        return self.consensus.get(answer, answer)

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(a.value for a in self.answers)


@dataclass(frozen=True)
class KindConfig:
    """What a kind is, as data.

    `name` is how routes, the CLI, the store and the dashboard refer to it; `registered_name` its model in
    the MLflow registry; `metric` the gate's primary metric; `candidates` the models it can train (the
    first of `default_candidates` onwards run by default); `feedback_kinds` what users may say about a
    prediction; `label_values` the consensus labels it stores; `floors` what a first model must reach;
    `shadow` whether the challenger shadow-scores live traffic; `interactions` whether the interaction
    log is its training data.
    """

    name: str
    registered_name: str
    title: str
    metric: str
    candidates: tuple[str, ...]
    default_candidates: tuple[str, ...]
    feedback_kinds: tuple[str, ...]
    label_values: tuple[int, ...]
    task: LabelingTask
    floors: tuple[Floor, ...]
    shadow: bool = False
    interactions: bool = False
    position: int = 100  # where the kind stands in listings (the dashboard, the CLI), then by name

    def __post_init__(self) -> None:
        unknown = set(self.default_candidates) - set(self.candidates)
        if unknown:
            raise ValueError(f"kind {self.name!r}: default candidates {sorted(unknown)} are not candidates")


@dataclass(frozen=True)
class Vote:
    """What one feedback event says about a subject: its key, the subject as a label stores it, the label,
    and whether it is explicit (`strong`: a rating outranks a click of the same actor)."""

    key: str
    subject: dict[str, Any]
    label: int
    strong: bool = False


@dataclass(frozen=True)
class QueueItem:
    """One subject of a logged prediction that the labeling queue may pick: what an annotator is shown
    (`subject`), the model's answer (`model_label`, `score`, `threshold`) and a challenger's, if any."""

    key: str
    subject: dict[str, Any]
    model_label: int | None
    score: float | None = None
    threshold: float | None = None
    challenger_score: float | None = None
    challenger_threshold: float | None = None


@dataclass(frozen=True)
class Route:
    """A serving route of the kind. `handler(body, context)` answers a validated `request` with a
    `response` (both pydantic models); `context` is the API's `ServingContext`."""

    path: str
    request: type[Any]
    response: type[Any]
    handler: Callable[[Any, Any], Any]
    summary: str
    description: str = ""
    responses: dict[int | str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Monitored:
    """One monitoring pass's inputs: the champion's reference frame, the current window's frame (the same
    descriptor columns), what the reference is, and live quality from what users said."""

    reference: pd.DataFrame
    current: pd.DataFrame
    description: str
    quality: dict[str, Any]


class ModelKind(ABC):
    """One model kind. Subclasses set `config` and implement the abstract methods."""

    config: KindConfig

    @property
    def name(self) -> str:
        return self.config.name

    # --- data (CLI `data fetch`, the retrain pipeline) ---------------------------------------------------

    @abstractmethod
    def fetch(self, settings: Settings, *, source: Path | None = None) -> dict[str, Any]:
        """Fetch and cache the kind's base data (offline and instant when cached); returns a summary to
        print (counts, where it lies)."""

    # --- retraining (closedloop.pipeline) --------------------------------------------------------------

    @abstractmethod
    def snapshot(
        self, settings: Settings, store: Store, *, trained_on: Watermarks, window_share: float | None = None
    ) -> Any:
        """Training data as of now: base data + labels (+ interactions), with the gate's holdout (base
        period) and window (what `trained_on`, the champion's watermarks, has not seen); its `lineage`
        holds `reads` (newest event read), `window` and `trained_upto`, and `refit()` folds the window in."""

    @abstractmethod
    def train(self, snapshot: Any, name: str, settings: Settings) -> Candidate:
        """Fit candidate `name` (one of `config.candidates`) on the snapshot."""

    @abstractmethod
    def judge(
        self,
        candidate: Candidate,
        champion: Any | None,
        snapshot: Any,
        settings: Settings,
        *,
        shadow: pd.DataFrame | None = None,
    ) -> GateDecision:
        """The gate's decision on the window and holdout, with this kind's floors (`floors(settings)`)."""

    @abstractmethod
    def wrap(self, candidate: Candidate, snapshot: Any) -> Any:
        """The MLflow pyfunc (`mlflow.pyfunc.PythonModel`) that serves a fitted candidate anywhere."""

    @abstractmethod
    def input_example(self) -> pd.DataFrame:
        """One row of pyfunc input, for the logged model's signature."""

    def floors(self, settings: Settings) -> list[Floor]:
        """The first-model floors: the kind's defaults, overridden per metric by `gate_floors[name]`."""
        overrides = settings.gate_floors.get(self.name, {})
        floors = []
        for floor in self.config.floors:
            if floor.metric not in overrides:
                floors.append(floor)
            elif floor.at_least is not None:
                floors.append(Floor(floor.metric, at_least=overrides[floor.metric]))
            else:
                floors.append(Floor(floor.metric, at_most=overrides[floor.metric]))
        return floors

    # --- serving (services/api) -------------------------------------------------------------------------

    @abstractmethod
    def routes(self) -> Sequence[Route]:
        """The kind's prediction routes (each logs its predictions and answers with their ids)."""

    @abstractmethod
    def warm(self, wrapper: Any) -> None:
        """One prediction on a loaded model, so the first request pays no lazy set-up and a broken model
        fails before it is served."""

    def shadow_score(self, wrapper: Any, records: list[PredictionRecord]) -> list[PredictionRecord]:
        """`records` scored by the challenger `wrapper` (`shadow_version` / `shadow_output` set); only for
        a kind with `config.shadow`."""
        return records

    def catalogue(self, wrapper: Any) -> Container[int] | None:
        """The item ids a served model knows (interaction items are checked against it); None: no check."""
        return None

    # --- feedback and labels (closedloop.store) ---------------------------------------------------------

    @abstractmethod
    def check_feedback(self, kind: str, value: Any, output: dict[str, Any]) -> None:
        """Raise `InvalidFeedback` unless a `kind` event with `value` fits a prediction whose output was
        `output` (`kind` is one of `config.feedback_kinds`, already checked)."""

    @abstractmethod
    def vote(self, kind: str, value: Any, given: dict[str, Any]) -> Vote | None:
        """The vote of one feedback event on a prediction whose input was `given` (None: no vote)."""

    @abstractmethod
    def subject_key(self, subject: dict[str, Any]) -> str:
        """The key of a label's subject; raise `InvalidLabel` for a subject of the wrong shape."""

    # --- labeling (closedloop.labeling) -----------------------------------------------------------------

    @abstractmethod
    def queue_items(
        self,
        given: dict[str, Any],
        output: dict[str, Any],
        shadow: dict[str, Any] | None,
        describe: Describe | None,
    ) -> list[QueueItem]:
        """The subjects of one logged prediction (input `given`, `output`, shadow output) that the queue may
        pick, newest prediction speaking for a subject."""

    @abstractmethod
    def label_subject(self, item_subject: dict[str, Any]) -> dict[str, Any]:
        """The consensus label's subject for a queued item's subject (the store's shape)."""

    def describer(self, settings: Settings, sessions: Sessions) -> Describe | None:
        """What annotators see beside an item (titles, history); None: the subject speaks for itself."""
        return None

    def truth_label(self, subject: dict[str, Any], answers: dict[str, int]) -> int | None:
        """A simulated annotator's answer to a queued subject, looked up in `answers` (subject key -> answer);
        None when the corpus does not know it."""
        return answers.get(self.subject_key(self.label_subject(subject)))

    # --- monitoring (closedloop.monitoring) -------------------------------------------------------------

    def monitor(
        self, settings: Settings, store: Store, champion: Any, predictions: pd.DataFrame
    ) -> Monitored | None:
        """Reference and current frames for the drift report, and live quality; None: not monitored.

        `champion` is `closedloop.monitoring.champion.Champion` (version, training watermark, loaded model);
        `predictions` the window's `recent_predictions` rows served by it, newest first.
        """
        return None

    @property
    def monitored(self) -> bool:
        """Whether the kind describes its traffic for drift monitoring: true when it implements `monitor`
        (monitoring then skips loading a champion for a kind that would hand nothing back)."""
        return type(self).monitor is not ModelKind.monitor

    # --- dashboard (services/dashboard) -----------------------------------------------------------------

    def live_quality(
        self, session: Session, *, since: datetime, width: int, served: Mapping[int, int]
    ) -> LiveQuality | None:
        """Live quality of the predictions served since `since`, per bucket of `width` seconds (bucket:
        epoch seconds // width), from what reality said about them; `served` holds the predictions per
        bucket. None: the kind measures no live quality (the dashboard says so)."""
        return None

    # --- learning curve (flows/learning_curve.py) -----------------------------------------------------

    def curve(self) -> Curve | None:
        """How the kind's learning curve is drawn (metric, estimators, training pool); None: it has none."""
        return None

    # --- replay and benchmarks (entry points) -------------------------------------------------------------

    def replay(self, settings: Settings) -> Any | None:
        """The kind's replay: its stream and its simulated users, the shape the replay driver expects
        (`replay.contract.KindReplay`, a Protocol: nothing here imports it); None when there is nothing to
        replay."""
        return None


def kinds_named(kinds: Iterable[ModelKind]) -> dict[str, ModelKind]:
    """{name: kind}, refusing two kinds of one name."""
    named: dict[str, ModelKind] = {}
    for kind in kinds:
        if kind.name in named:
            raise ValueError(f"two model kinds are registered as {kind.name!r}")
        named[kind.name] = kind
    return named
