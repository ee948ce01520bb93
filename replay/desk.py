"""The demo's stand-in for annotators during a live replay: simulated annotators answering the labeling queue
of the API's own store, every few seconds, from the corpus's own labels."""

from __future__ import annotations

import time
from dataclasses import replace

from closedloop.labeling import deployed_policy
from closedloop.settings import Settings
from closedloop.store import open_store
from replay.annotators import CorpusTruth, SimulatedAnnotators
from replay.contract import kind_replay


class AnnotationDesk:
    """Every `every_s` seconds, the simulated annotators answer the queue items that have waited
    `replay_annotation_delay` seconds (a `replay_people_share` of them, and disputes, only after
    `replay_people_seconds`, so a person who logs in finds items to label), from the corpus's own labels
    (the kind's replay's `truth`), through the labeling kernel on the store at `settings.store_url` (the
    API's store).

    Its refills use the deployed policy and the kind's item describer, so the items people see in the demo's
    `/label` look as they do in production (movies with title and user history, for instance).
    """

    def __init__(self, model: str, settings: Settings, *, seed: int = 0, every_s: float = 10.0) -> None:
        found, plan = kind_replay(model, settings)
        truth = CorpusTruth(found, plan.truth())
        self.store = open_store(settings.store_url)
        self.annotators = SimulatedAnnotators(
            truth,
            replace(deployed_policy(settings), seed=seed),
            describe=found.describer(settings, self.store.session),
            delay_seconds=settings.replay_annotation_delay,
            seed=seed,
            people_share=settings.replay_people_share,
            people_seconds=settings.replay_people_seconds,
            cap=settings.labeling_queue_cap,
        )
        self.model, self.every_s = found.name, every_s
        self._last = time.monotonic()

    def maybe_work(self) -> int:
        """Answer the queue if `every_s` has passed since the last pass; returns the labels given."""
        if time.monotonic() - self._last < self.every_s:
            return 0
        self._last = time.monotonic()
        with self.store.session() as session:
            return self.annotators.work(session).labelled

    def close(self) -> None:
        self.store.close()
