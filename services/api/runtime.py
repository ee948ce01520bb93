"""Everything a running API holds: the store and its writers, the served models of every registered kind
and their reloader, and one serving context per kind for that kind's route handlers."""

from __future__ import annotations

import gc
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from closedloop.kinds import ModelKind
from closedloop.kinds.contract import kinds_named
from closedloop.serving import (
    ModelCache,
    ModelSlots,
    PredictionLog,
    Reloader,
    ReloadListener,
    ServingContext,
    shadow_scorer,
)
from closedloop.serving.keys import HOW_TO_CREATE, ApiKey, configured_keys
from closedloop.settings import Settings, apply_serving_environment
from closedloop.store import Store, open_store
from closedloop.store.engine import SQLITE_BUSY_TIMEOUT_MS, make_engine, session_factory
from closedloop.store.writer import FeedbackWriter, InteractionWriter
from services.api.metrics import ApiMetrics

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    store: Store
    log_stores: tuple[Store, ...]  # the prediction log's own (`prediction_log_synchronous` NORMAL), if any
    slots: ModelSlots
    reloader: Reloader
    predictions: PredictionLog
    feedback: FeedbackWriter
    interactions: InteractionWriter
    metrics: ApiMetrics
    kinds: dict[str, ModelKind]  # the kinds served, by name, in their registered order
    contexts: dict[str, ServingContext]  # by kind name
    keys: list[ApiKey]  # the API keys of the settings and the key file, read once at start

    @classmethod
    def start(cls, settings: Settings, metrics: ApiMetrics, kinds: Sequence[ModelKind]) -> Runtime:
        """Open the store and start the writers and the reloader (whose first check loads the models)."""
        keys = configured_keys(settings)
        _warn_if_open(settings, keys)
        apply_serving_environment(settings)  # bounded MLflow requests: the cache fallback starts in seconds
        named = kinds_named(kinds)
        store = open_store(settings.store_url)
        log_stores = _prediction_log_stores(settings, store)
        slots = ModelSlots()
        predictions = PredictionLog(
            log_stores[0] if log_stores else store,
            maxsize=settings.prediction_log_queue,
            shadow=shadow_scorer(slots, named),
            now=log_stores[1] if log_stores else None,
        )
        reloader = Reloader(
            tracking_uri=settings.tracking_uri,
            cache=ModelCache(settings.model_cache_dir),
            slots=slots,
            every_s=settings.reload_seconds,
            kinds=list(named.values()),
            on_reload=_after_reload(metrics),
        )
        metrics.watch(slots, predictions)
        contexts = {
            name: ServingContext(kind, settings, store, slots, predictions, on_served=metrics.on_served)
            for name, kind in named.items()
        }
        runtime = cls(
            settings=settings,
            store=store,
            log_stores=log_stores,
            slots=slots,
            reloader=reloader,
            predictions=predictions,
            feedback=FeedbackWriter(store, kinds=named),
            interactions=InteractionWriter(store),
            metrics=metrics,
            kinds=named,
            contexts=contexts,
            keys=keys,
        )
        reloader.start()
        return runtime

    def stop(self) -> None:
        """Stop polling, then drain the writers so that nothing acknowledged or queued is lost."""
        self.reloader.stop()
        self.predictions.close()
        self.feedback.close()
        self.interactions.close()
        for log_store in self.log_stores:
            log_store.close()
        self.store.close()

    def missing(self) -> list[str]:
        """The kinds without a champion loaded yet, in their registered order."""
        return [name for name in self.kinds if self.slots.get(name) is None]

    def ready(self) -> bool:
        """Whether every kind has its champion loaded."""
        return self.slots.ready(self.kinds)


def _prediction_log_stores(settings: Settings, store: Store) -> tuple[Store, ...]:
    """(the writer thread's, the event loop's) stores for the prediction log where it commits to an SQLite
    file with `prediction_log_synchronous` NORMAL: commits without an fsync (see the setting for what that
    trades), the loop's also without waiting for a lock (`PredictionLog`); else () and `store` is used."""
    url = store.engine.url
    on_file = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    if settings.prediction_log_synchronous == "FULL" or not on_file or url.query.get("mode") == "memory":
        return ()
    stores = []
    for busy_ms in (SQLITE_BUSY_TIMEOUT_MS, 0):  # each used by one thread at a time: one connection
        engine = make_engine(url, sqlite_synchronous="NORMAL", sqlite_busy_timeout_ms=busy_ms, pool_size=1)
        stores.append(Store(engine=engine, sessions=session_factory(engine)))
    return tuple(stores)


def _after_reload(metrics: ApiMetrics) -> ReloadListener:
    def listener(kind: str, alias: str, version: str, succeeded: bool) -> None:
        metrics.on_reload(kind, alias, version, succeeded)
        if succeeded:
            # Move the long-lived heap (libraries, models) out of the collector's sight: a full collection
            # over it paused requests by tens of ms (the p99). Swapped-out models are still freed by refcount.
            gc.collect()
            gc.freeze()

    return listener


def _warn_if_open(settings: Settings, keys: list[ApiKey]) -> None:
    roles = {key.role for key in keys}
    if settings.allow_anonymous_writes:
        log.warning(
            "CLOSEDLOOP_ALLOW_ANONYMOUS_WRITES is on: client routes take calls without a key%s",
            "" if "admin" in roles else ", and so do the admin routes (no admin key exists)",
        )
    for role in ("client", "admin"):
        if role not in roles and not settings.allow_anonymous_writes:
            log.warning("no %s API key: the %s routes refuse every call; %s", role, role, HOW_TO_CREATE)
