"""The replay: stream the later part of a corpus through the real HTTP API, in time order, as traffic, and
let simulated users send feedback on what the API answered.

Not a Prefect flow: it plays the outside world (clients and their users), not work the platform schedules.
It talks to the API only over HTTP, so it drives a local `closedloop serve`, the demo, or a deployment alike;
tests pass an `httpx.Client` on any transport.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import httpx

from closedloop.labeling import deployed_policy, item_describer
from closedloop.replay.annotators import CorpusTruth, SimulatedAnnotators
from closedloop.replay.stream import later_messages, later_ratings, visits
from closedloop.replay.users import Report, SimulatedUsers
from closedloop.settings import Settings
from closedloop.store import open_store

log = logging.getLogger(__name__)
MODELS = ("spam", "recsys")
K = 10
Progress = Callable[[int], None]  # called with the number of requests done so far


class ApiUnavailable(RuntimeError):
    """The API cannot be reached, is not ready in time, or refuses the replay's requests."""


@dataclass(frozen=True)
class ReplayOptions:
    """How the traffic looks. `rate` is prediction requests per second (0: as fast as the API answers)."""

    limit: int | None = None
    rate: float = 10.0
    feedback_rate: float = 0.3
    wrong_share: float = 0.0
    seed: int = 0
    api_key: str | None = None
    ready_timeout: float = 120.0
    passes: int = 1  # times through the stream; 0: until stopped (the demo keeps serving after the end)

    def __post_init__(self) -> None:
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be at least 1, got {self.limit}")
        if self.passes < 0:
            raise ValueError(f"passes must be >= 0 (0: until stopped), got {self.passes}")
        if self.rate < 0:
            raise ValueError(f"rate must be >= 0 requests per second, got {self.rate}")
        for name in ("feedback_rate", "wrong_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be a share in [0, 1], got {getattr(self, name)}")


@dataclass
class ReplayTally:
    """What the replay did: requests answered, feedback acknowledged, and how the served models did."""

    model: str
    stream: int = 0  # items (messages or visits) available to replay
    requests: int = 0
    feedback: int = 0
    wrong_feedback: int = 0
    rejected_feedback: int = 0
    interactions: int = 0  # recommender: ratings logged through the interaction log
    rejected_requests: int = 0  # items the API turned away (e.g. a message over its size limit): skipped
    annotator_labels: int = 0  # labels the simulated annotators gave (with --annotators)
    passes: int = 0  # complete passes through the stream
    correct: int = 0  # spam: decisions matching the corpus label; recsys: visits with a hit in the top 10
    versions: Counter[str] = field(default_factory=Counter)  # model version -> predictions it served
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "versions": dict(self.versions)}


def replay(
    model: str,
    *,
    client: httpx.Client,
    settings: Settings,
    options: ReplayOptions,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
    desk: AnnotationDesk | None = None,
    on_pass: Callable[[ReplayTally], None] | None = None,
) -> ReplayTally:
    """Replay `model`'s later corpus part through the API behind `client` (its base_url is the API); with a
    `desk`, simulated annotators answer the labeling queue every few seconds as the traffic flows. The stream
    runs `options.passes` times (0: until stopped), `on_pass` hearing of each pass's end."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    api = _Api(client, options)
    users = SimulatedUsers(options.feedback_rate, options.wrong_share, seed=options.seed)
    tally = ReplayTally(model=model)

    def stream() -> Iterator[None]:
        if model == "spam":
            return _spam_steps(api, users, settings, tally)
        return _recsys_steps(api, users, settings, tally)

    # The stream first: "nothing to replay" is a configuration error worth saying before waiting on the API.
    steps = stream()
    api.wait_ready(model)
    started = time.monotonic()
    total = tally.stream if options.limit is None else min(options.limit, tally.stream)
    if on_total is not None:
        on_total(total if options.passes == 1 else 0)
    done = 0
    while True:
        for _ in steps:
            done += 1
            if progress is not None:
                progress(done)
            if desk is not None:
                tally.annotator_labels += desk.maybe_work()
            if options.limit is not None and done >= options.limit:
                break
            if options.rate > 0:
                time.sleep(max(0.0, started + done / options.rate - time.monotonic()))
        tally.passes += 1
        if on_pass is not None:
            on_pass(tally)
        finished = options.passes and tally.passes >= options.passes
        if finished or (options.limit is not None and done >= options.limit):
            break
        steps = stream()  # again from the start: the same users come back, and the platform keeps serving
    tally.seconds = round(time.monotonic() - started, 3)
    return tally


def _spam_steps(api: _Api, users: SimulatedUsers, settings: Settings, tally: ReplayTally) -> Iterator[None]:
    messages = later_messages(settings)
    tally.stream = len(messages)
    return _spam_loop(api, users, messages, tally)


def _spam_loop(api: _Api, users: SimulatedUsers, messages: Any, tally: ReplayTally) -> Iterator[None]:
    for row in messages.itertuples(index=False):
        answer = api.post(
            "/v1/spam/predict", {"subject": row.subject, "body": row.body}, accept_rejection=True
        )
        tally.requests += 1
        if answer is None:  # a real client's message the API refuses (too long, …): counted, then skipped
            tally.rejected_requests += 1
            yield None
            continue
        tally.versions[answer["model_version"]] += 1
        tally.correct += int(bool(answer["is_spam"]) == bool(row.label))
        report = users.on_spam(label=int(row.label))
        if report is not None:
            _send(api, tally, answer["prediction_id"], report, actor=users.spam_actor())
        yield None


def _recsys_steps(api: _Api, users: SimulatedUsers, settings: Settings, tally: ReplayTally) -> Iterator[None]:
    found = visits(later_ratings(settings))
    tally.stream = len(found)
    return _recsys_loop(api, users, found, tally)


def _recsys_loop(api: _Api, users: SimulatedUsers, found: list[Any], tally: ReplayTally) -> Iterator[None]:
    for visit in found:
        answer = api.post("/v1/recommendations", {"user_id": visit.user_id, "k": K}, accept_rejection=True)
        tally.requests += 1
        if answer is None:
            tally.rejected_requests += 1
            yield None
            continue
        tally.versions[answer["model_version"]] += 1
        items = [int(item["item_id"]) for item in answer["items"]]
        tally.correct += int(any(item in visit.future for item in items))
        _log_visit(api, users, tally, visit, items, answer["prediction_id"])
        yield None


def _log_visit(
    api: _Api, users: SimulatedUsers, tally: ReplayTally, visit: Any, items: list[int], prediction_id: str
) -> None:
    """The visit's ratings through the interaction log, each once; a rating of a recommended item the user
    reports as a reaction carries the prediction id (and, when wrong, flipped stars)."""
    reports = {r.value["item_id"]: r for r in users.on_recommendations(items=items, rated=visit.rated)}
    events = []
    for item, stars in visit.rated.items():
        report = reports.get(item)
        event: dict[str, Any] = {
            "event_id": f"replay-{visit.user_id}-{item}-{visit.rated_at[item]}",
            "user_id": visit.user_id,
            "item_id": item,
            "kind": "rating",
            "value": float(report.value["rating"] if report is not None else stars),
            "actor": f"replay:ml-user-{visit.user_id}",
        }
        if report is not None:
            event["prediction_id"] = prediction_id
        events.append(event)
    if not events:
        return
    if api.post("/v1/interactions:batch", {"events": events}, accept_rejection=True) is None:
        tally.rejected_feedback += len(reports)
        return
    tally.interactions += len(events)
    tally.feedback += len(reports)
    tally.wrong_feedback += sum(r.wrong for r in reports.values())


def _send(api: _Api, tally: ReplayTally, prediction_id: str, report: Report, *, actor: str) -> None:
    value = report.value
    suffix = "" if value is None else f"-{value['item_id']}"
    body = {
        "event_id": f"replay-{prediction_id}{suffix}",  # retrying the same event is safe (idempotent)
        "prediction_id": prediction_id,
        "kind": report.kind,
        "value": value,
        "actor": actor,
    }
    if api.post("/v1/feedback", body, accept_rejection=True) is None:
        tally.rejected_feedback += 1
        return
    tally.feedback += 1
    tally.wrong_feedback += int(report.wrong)


class AnnotationDesk:
    """The demo's stand-in for annotators: every `every_s` seconds, the simulated annotators answer the
    queue items that have waited `replay_annotation_delay` seconds, from the corpus's own labels, through the
    labeling kernel on the store at `settings.store_url` (the API's store).

    Its refills use the deployed policy and item describer (`closedloop.labeling.refill`), so the items
    people see in the demo's `/label` look as they do in production: movies with title and user history.
    """

    def __init__(self, model: str, settings: Settings, *, seed: int = 0, every_s: float = 10.0) -> None:
        if model == "spam":
            truth = CorpusTruth.spam(later_messages(settings))
        else:
            truth = CorpusTruth.recsys(later_ratings(settings))
        self.store = open_store(settings.store_url)
        self.annotators = SimulatedAnnotators(
            truth,
            replace(deployed_policy(settings), seed=seed),
            describe=item_describer(settings, model, sessions=self.store.session),  # type: ignore[arg-type]
            delay_seconds=settings.replay_annotation_delay,
            seed=seed,
        )
        self.model, self.every_s = model, every_s
        self._last = time.monotonic()

    def maybe_work(self) -> int:
        """Answer the queue if `every_s` has passed since the last pass; returns the labels given."""
        if time.monotonic() - self._last < self.every_s:
            return 0
        self._last = time.monotonic()
        with self.store.session() as session:
            return self.annotators.work(session, model=self.model).labelled  # type: ignore[arg-type]

    def close(self) -> None:
        self.store.close()


class _Api:
    """The API seen from a client: waits out 503s (models loading); other failures raise ApiUnavailable."""

    def __init__(self, client: httpx.Client, options: ReplayOptions) -> None:
        self.client = client
        self.options = options
        self.headers = {"X-API-Key": options.api_key} if options.api_key else {}

    def wait_ready(self, model: str) -> None:
        deadline = time.monotonic() + self.options.ready_timeout
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                answer = self.client.get("/v1/models", headers=self.headers)
                if answer.status_code == 200 and any(
                    m["kind"] == model and m["alias"] == "champion" for m in answer.json()["models"]
                ):
                    return
                last = f"HTTP {answer.status_code}, no {model} champion served yet"
            except httpx.TransportError as error:
                last = f"{type(error).__name__}: {error}"
            time.sleep(0.5)
        raise ApiUnavailable(
            f"the API at {self.client.base_url} did not serve a {model} champion within "
            f"{self.options.ready_timeout:.0f}s ({last}); start it with `closedloop serve` and train a "
            "champion first (`closedloop retrain " + model + "`)"
        )

    def post(self, path: str, body: dict[str, Any], *, accept_rejection: bool = False) -> Any:
        deadline = time.monotonic() + self.options.ready_timeout
        while True:
            try:
                answer = self.client.post(path, json=body, headers=self.headers)
            except httpx.TransportError as error:
                raise ApiUnavailable(f"lost the API at {self.client.base_url}: {error}") from error
            if answer.status_code == 503 and time.monotonic() < deadline:
                time.sleep(float(answer.headers.get("Retry-After", "1")))
                continue
            if answer.status_code < 300:
                return answer.json()
            detail = _detail(answer)
            if answer.status_code in (401, 403):
                raise ApiUnavailable(
                    f"the API refused the replay ({answer.status_code}: {detail}); pass a client key with "
                    "--api-key"
                )
            if accept_rejection and 400 <= answer.status_code < 500:
                log.warning("POST %s rejected (%d): %s", path, answer.status_code, detail)
                return None
            raise ApiUnavailable(f"POST {path} failed with {answer.status_code}: {detail}")


def _detail(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("detail", answer.text))
    except ValueError:
        return answer.text[:200]
