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

from closedloop import corpora
from closedloop.corpora import Corpus
from closedloop.gate import Floor
from closedloop.kinds.curves import Curve
from closedloop.kinds.data import KnownItems, ProtocolOption
from closedloop.kinds.quality import LiveQuality
from closedloop.kinds.tasks import Answer as Answer  # the labeling task's data, re-exported
from closedloop.kinds.tasks import LabelingTask as LabelingTask
from closedloop.kinds.tasks import Shown as Shown
from closedloop.kinds.tasks import shown_as_fields

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from closedloop.gate import GateDecision
    from closedloop.retraining.candidate import Candidate
    from closedloop.retraining.pipeline import Watermarks
    from closedloop.serving import ServingContext
    from closedloop.settings import Settings
    from closedloop.store import PredictionRecord, Store

# (user or subject id, item id) -> what an annotator sees beside a queued item (title, history, ...)
Describe = Callable[[int, int], dict[str, Any]]
Sessions = Callable[[], "Session"]


@dataclass(frozen=True)
class KindConfig:
    """What a kind is, as data.

    `name` is how routes, the CLI, the store and the dashboard refer to it; `registered_name` its model in
    the MLflow registry; `metric` the gate's primary metric; `candidates` the models it can train (the
    first of `default_candidates` onwards run by default); `feedback_kinds` what users may say about a
    prediction; `label_values` the consensus labels it stores; `floors` what a first model must reach;
    `shadow` whether the challenger shadow-scores live traffic; `interactions` whether the interaction
    log is its training data; `distributed_candidates` those that may train under torchrun (`train_nproc`).
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
    distributed_candidates: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for listed in ("default_candidates", "distributed_candidates"):
            unknown = set(getattr(self, listed)) - set(self.candidates)
            if unknown:
                raise ValueError(f"kind {self.name!r}: {listed} {sorted(unknown)} are not candidates")


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
    (`subject`; its `text`, if any, is kept for the label but never shown), the model's answer (`model_label`,
    `score`: a probability only with a `threshold`, else just a ranking score) and a challenger's, if any."""

    key: str
    subject: dict[str, Any]
    model_label: int | None
    score: float | None = None
    threshold: float | None = None
    challenger_score: float | None = None
    challenger_threshold: float | None = None


@dataclass(frozen=True)
class Route:
    """A serving route of the kind, which the API mounts as `POST /v1{path}` (e.g. `/spam/predict`).

    `handler(body, context)` answers a validated `request` body (a pydantic model) with a `response`, using
    the kind's `closedloop.serving.ServingContext`; an `async def` handler runs on the event loop (it must
    not block: it may await `context.batched`), a plain `def` one in a worker thread (it may read the store
    and score at length). It raises `closedloop.serving` errors (`InvalidRequest`: 422, `ModelNotLoaded`:
    503), never a web framework's. `summary` and `description` default to the first line and the rest of
    the handler's docstring; `responses` documents answers beyond 200, 422 and 503 (`{status: {"description":
    ...}}`), or a better description of those.
    """

    path: str
    request: type[Any]
    response: type[Any]
    handler: Callable[[Any, ServingContext], Any]
    summary: str = ""
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

    # --- data (CLI `data`, `train`, `interactions import`; the retrain pipeline) -------------------------

    def corpora(self) -> Sequence[Corpus]:
        """The kind's base data sets, each fetched, verified and cached by `closedloop.corpora` (the kind
        says what to download and how to parse it); none, the default: the kind learns from what the store
        collects alone."""
        return ()

    def fetch(self, settings: Settings, *, source: Path | None = None, force: bool = False) -> dict[str, Any]:
        """Fetch and cache the kind's corpora (offline and instant when cached; `source`: a folder with
        the originals; `force`: download and parse again); returns {corpus name: its manifest with
        `counts`, `source`, `cached` and `path`}, to print."""
        return {
            corpus.name: corpora.fetch(settings, corpus, source=source, force=force).summary()
            for corpus in self.corpora()
        }

    def cached(self, settings: Settings) -> dict[str, dict[str, Any] | None]:
        """{corpus name: its manifest when cached and verified, else None}, without fetching anything."""
        return {corpus.name: corpora.read_manifest(settings, corpus) for corpus in self.corpora()}

    def protocol_options(self) -> Sequence[ProtocolOption]:
        """The choices the kind's evaluation protocol offers (`closedloop train KIND --NAME VALUE`)."""
        return ()

    def evaluate(
        self,
        settings: Settings,
        model: str,
        *,
        options: Mapping[str, str],
        seed: int = 0,
        checkpoint_dir: Path | None = None,
        resume: bool = False,
    ) -> dict[str, Any] | None:
        """Fit candidate `model` on the kind's base data under its fixed evaluation protocol (`options`:
        every `protocol_options()` value) and score it once on the protocol's test split; returns the rows
        of the metrics table (metric or count -> value). `checkpoint_dir` / `resume`: checkpoint a model
        that trains in epochs. None, the default: the kind has no offline protocol (`closedloop retrain`
        judges it on live data)."""
        return None

    def known_items(self, settings: Settings) -> KnownItems | None:
        """The item ids the kind's base data knows, which imported interactions are checked against;
        None, the default: no check. Raises `CorpusMissing` when that data is not fetched."""
        return None

    # --- retraining (closedloop.retraining.pipeline) ----------------------------------------------------

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
        """The kind's prediction routes, which the API mounts (each logs its predictions through the
        context and answers with their ids)."""

    @abstractmethod
    def warm(self, wrapper: Any) -> None:
        """One prediction on a loaded model, so the first request pays no lazy set-up and a broken model
        fails before it is served."""

    def shadow_score(self, wrapper: Any, records: list[PredictionRecord]) -> list[PredictionRecord]:
        """`records` (this kind's logged predictions) with `shadow_output` set to the challenger `wrapper`'s
        answer; the caller records the challenger's `shadow_version`. Called only for a kind with
        `config.shadow`; the default scores nothing (the records come back as they are)."""
        return records

    def labelled_shadow(self, store: Any, *, champion_version: str, challenger_version: str) -> pd.DataFrame:
        """Labelled live traffic the champion served and the challenger shadow-scored (`flows/regate.py`)."""
        return pd.DataFrame()

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

    @abstractmethod
    def label_columns(self) -> dict[str, str]:
        """The columns a label's subject brings to the training-label frame (`read_training_labels`), in
        order, with their pandas dtypes: `subject_key` is the label's key, any other a subject's field."""

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

    @abstractmethod
    def gold_item(self, item: dict[str, Any]) -> QueueItem:
        """A gold item (`add_gold_items`: a subject whose answer is known) as the queue stores it, without a
        model label; raise `InvalidLabel` for an item of the wrong shape."""

    def queue_vote(self, vote: Vote) -> int:
        """A feedback vote on the scale of `QueueItem.model_label`, which the queue compares it with (and with
        other actors' votes) to find disputed subjects; by default the vote's label."""
        return vote.label

    def show(self, subject: dict[str, Any]) -> Shown:
        """A queued item's subject (without its `text`) as annotators see it; by default its title, its
        history's titles and its other fields captioned by their keys (`shown_as_fields`)."""
        return shown_as_fields(subject)

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
        """The kind's replay over the corpus of `settings`, in the shape the replay driver expects
        (`replay.contract.KindReplay`, a Protocol: nothing here imports it): what streams (the later part of
        its corpus, in time order, in chunks), what a simulated user does with each answer (through the
        driver's `closedloop.kinds.simulation.Users`), how a live step talks to the HTTP API, how a chunk is
        scored prequentially, the corpus truth simulated annotators answer from, its headline metric and the
        benchmark's policies that make sense for it. Cheap: the corpus is read when first streamed.
        None (the default): the kind has nothing to replay, and `closedloop simulate` does not offer it."""
        return None

    def benchmarks(self) -> Any | None:
        """The kind's parts in the benchmark suites (`python -m bench`), in the shape they expect
        (`bench.contract.KindBenchmarks`, a Protocol: nothing here imports it): the suites it takes part
        in, its training protocols, the requests the serving suite sends it, the active-learning
        simulation's data, example history for the dashboard. None (the default): it takes part in none."""
        return None


def kinds_named(kinds: Iterable[ModelKind]) -> dict[str, ModelKind]:
    """{name: kind}, refusing two kinds of one name."""
    named: dict[str, ModelKind] = {}
    for kind in kinds:
        if kind.name in named:
            raise ValueError(f"two model kinds are registered as {kind.name!r}")
        named[kind.name] = kind
    return named
