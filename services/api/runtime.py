"""Everything a running API holds: the store and its writers, the served models and their reloader."""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass, field

from fastapi import HTTPException

from closedloop.kinds import kinds
from closedloop.registry import CHAMPION
from closedloop.serving import ModelCache, ModelSlots, PredictionLog, Reloader, ReloadListener, ServedModel
from closedloop.settings import Settings
from closedloop.store import Store, open_store
from closedloop.store.writer import FeedbackWriter, InteractionWriter
from services.api.batching import SpamBatcher
from services.api.metrics import ApiMetrics
from services.api.scoring import shadow_scorer

log = logging.getLogger(__name__)
KINDS = ["spam", "recsys"]


@dataclass
class Runtime:
    settings: Settings
    store: Store
    slots: ModelSlots
    reloader: Reloader
    predictions: PredictionLog
    feedback: FeedbackWriter
    interactions: InteractionWriter
    metrics: ApiMetrics
    batcher: SpamBatcher = field(default_factory=SpamBatcher)

    @classmethod
    def start(cls, settings: Settings, metrics: ApiMetrics) -> Runtime:
        """Open the store and start the writers and the reloader (whose first check loads the models)."""
        _warn_if_open(settings)
        store = open_store(settings.store_url)
        slots = ModelSlots()
        predictions = PredictionLog(store, maxsize=settings.prediction_log_queue, shadow=shadow_scorer(slots))
        reloader = Reloader(
            tracking_uri=settings.tracking_uri,
            cache=ModelCache(settings.model_cache_dir),
            slots=slots,
            every_s=settings.reload_seconds,
            on_reload=_after_reload(metrics),
        )
        metrics.watch(slots, predictions)
        runtime = cls(
            settings=settings,
            store=store,
            slots=slots,
            reloader=reloader,
            predictions=predictions,
            feedback=FeedbackWriter(store, kinds={k.name: k for k in kinds(tuple(settings.kinds))}),
            interactions=InteractionWriter(store),
            metrics=metrics,
        )
        reloader.start()
        return runtime

    def stop(self) -> None:
        """Stop polling, then drain the writers so that nothing acknowledged or queued is lost."""
        self.reloader.stop()
        self.predictions.close()
        self.feedback.close()
        self.interactions.close()
        self.store.close()

    def ready(self) -> bool:
        return self.slots.ready(KINDS)

    def champion(self, kind: str) -> ServedModel:
        """The champion serving `kind` now, or 503 while none is loaded."""
        served = self.slots.get(kind, CHAMPION)
        if served is None:
            raise HTTPException(
                503, detail=f"no {kind} model is loaded yet; retry shortly", headers={"Retry-After": "5"}
            )
        return served


def _after_reload(metrics: ApiMetrics) -> ReloadListener:
    def listener(kind: str, alias: str, version: str, succeeded: bool) -> None:
        metrics.on_reload(kind, alias, version, succeeded)
        if succeeded:
            # Move the long-lived heap (libraries, models) out of the collector's sight: a full collection
            # over it paused requests by tens of ms (the p99). Swapped-out models are still freed by refcount.
            gc.collect()
            gc.freeze()

    return listener


def _warn_if_open(settings: Settings) -> None:
    if not settings.api_keys:
        log.warning("no client API keys configured (CLOSEDLOOP_API_KEYS): write routes are open to anyone")
    if not settings.admin_api_keys:
        log.warning("no admin API keys configured (CLOSEDLOOP_ADMIN_API_KEYS): admin routes are open")
