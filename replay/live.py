"""The live replay: stream the later part of a kind's corpus through the real HTTP API, in time order, as
traffic, and let simulated users send feedback on what the API answered. The kind's replay says what one
request and its user's answer look like (`KindReplay.step`); this module paces, counts and retries.

Not a Prefect flow: it plays the outside world (clients and their users), not work the platform schedules.
It talks to the API only over HTTP, so it drives a local `closedloop serve`, the demo, or a deployment alike;
tests pass an `httpx.Client` on any transport.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from closedloop.kinds.simulation import Step
from closedloop.settings import Settings
from replay.contract import KindReplay, kind_replay
from replay.cursor import ReplayCursor
from replay.desk import AnnotationDesk
from replay.users import SimulatedUsers

log = logging.getLogger(__name__)
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
    cursor: Path | None = None  # where the position is kept: a later replay resumes from it (see cursor.py)

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
    stream: int = 0  # items (messages, visits, …) available to replay
    requests: int = 0
    feedback: int = 0
    wrong_feedback: int = 0
    rejected_feedback: int = 0
    interactions: int = 0  # events logged through the interaction log (a kind trained on it)
    rejected_requests: int = 0  # items the API turned away (e.g. a message over its size limit): skipped
    annotator_labels: int = 0  # labels the simulated annotators gave (with --annotators)
    passes: int = 0  # complete passes through the stream
    correct: int = 0  # answers right by the corpus (a decision matching the label, a hit in the top 10)
    versions: Counter[str] = field(default_factory=Counter)  # model version -> predictions it served
    seconds: float = 0.0

    def count(self, step: Step) -> None:
        """Add what one request did."""
        self.requests += 1
        if step.version is None:  # a request the API turned away (e.g. too long): counted, then skipped
            self.rejected_requests += 1
            return
        self.versions[step.version] += 1
        self.correct += int(step.correct)
        self.feedback += step.feedback
        self.wrong_feedback += step.wrong_feedback
        self.rejected_feedback += step.rejected_feedback
        self.interactions += step.interactions

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
    found, plan = kind_replay(model, settings)
    api = _Api(client, options)
    users = SimulatedUsers(options.feedback_rate, options.wrong_share, seed=options.seed)
    tally = ReplayTally(model=found.name)
    # The stream first: "nothing to replay" is a configuration error worth saying before waiting on the API.
    items = plan.stream()
    tally.stream = len(items)
    cursor = ReplayCursor.load(options.cursor, stream=len(items)) if options.cursor else None
    start = 0
    if cursor is not None:
        tally.passes, start = cursor.passes, cursor.position
        if options.passes and tally.passes >= options.passes:
            log.info("replay of %s: all %d passes done (cursor %s)", found.name, tally.passes, cursor.path)
            return tally
        if start or tally.passes:
            log.info("replay of %s resumes at item %d of pass %d", found.name, start + 1, tally.passes + 1)
    steps = _steps(plan, items[start:], api, users, tally)
    api.wait_ready(found.name)
    started = time.monotonic()
    total = tally.stream if options.limit is None else min(options.limit, tally.stream)
    if on_total is not None:
        on_total(total if options.passes == 1 else 0)
    done = 0
    while True:
        exhausted = True
        for _ in steps:
            done += 1
            if cursor is not None:
                cursor.advance()
            if progress is not None:
                progress(done)
            if desk is not None:
                tally.annotator_labels += desk.maybe_work()
            if options.limit is not None and done >= options.limit:
                exhausted = False
                break
            if options.rate > 0:
                time.sleep(max(0.0, started + done / options.rate - time.monotonic()))
        tally.passes += 1
        if cursor is not None and exhausted:
            cursor.finish_pass()
        if on_pass is not None:
            on_pass(tally)
        finished = options.passes and tally.passes >= options.passes
        if finished or (options.limit is not None and done >= options.limit):
            break
        # again from the start: the same users come back, and the platform keeps serving
        steps = _steps(plan, items, api, users, tally)
    tally.seconds = round(time.monotonic() - started, 3)
    return tally


def _steps(
    plan: KindReplay, items: Sequence[Any], api: _Api, users: SimulatedUsers, tally: ReplayTally
) -> Iterator[None]:
    """One request per item, lazily: the caller paces them and may stop early."""
    for item in items:
        tally.count(plan.step(item, api, users))
        yield None


class _Api:
    """The API seen from a client: waits out 503s (models loading); other failures raise ApiUnavailable."""

    def __init__(self, client: httpx.Client, options: ReplayOptions) -> None:
        self.client = client
        self.options = options
        self.headers = {"X-API-Key": options.api_key} if options.api_key else {}

    def wait_ready(self, model: str) -> None:
        """Wait until the API serves a champion of `model`."""
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

    def post(self, path: str, body: dict[str, Any]) -> Any:
        """POST `body` to `path`: the decoded answer, or None when the API refuses it (4xx, logged)."""
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
            if 400 <= answer.status_code < 500:
                log.warning("POST %s rejected (%d): %s", path, answer.status_code, detail)
                return None
            raise ApiUnavailable(f"POST {path} failed with {answer.status_code}: {detail}")


def _detail(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("detail", answer.text))
    except ValueError:
        return answer.text[:200]
