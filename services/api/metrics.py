"""Prometheus metrics, one registry per app (so two apps in one process never collide).

Request latency per route template, predictions and feedback per model (a kind's name) and version,
interactions per model and interaction kind, prediction-log drops and model reloads; served versions and
queue counters are read at scrape time from the objects that own them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from closedloop.serving import ModelSlots, PredictionLog

LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class ApiMetrics:
    """The API's metrics; every `model` label is a kind's name."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "closedloop_http_request_duration_seconds",
            "Request latency by route template.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.predictions = Counter(
            "closedloop_predictions", "Predictions served.", ["model", "version"], registry=self.registry
        )
        self.feedback = Counter(
            "closedloop_feedback",
            "Feedback events acknowledged (result: created | replayed).",
            ["model", "version", "result"],
            registry=self.registry,
        )
        self.feedback_rejected = Counter(
            "closedloop_feedback_rejected", "Feedback events refused.", ["reason"], registry=self.registry
        )
        self.interactions = Counter(
            "closedloop_interactions",
            "Interactions acknowledged (result: created | replayed).",
            ["model", "kind", "result"],
            registry=self.registry,
        )
        self.interactions_rejected = Counter(
            "closedloop_interactions_rejected",
            "Interactions refused (reason: invalid | unknown_item | conflict).",
            ["reason"],
            registry=self.registry,
        )
        self.reloads = Counter(
            "closedloop_model_reloads",
            "Model loads by the reloader (result: success | failure).",
            ["model", "alias", "version", "result"],
            registry=self.registry,
        )
        self._served = _Children(self.predictions)

    def watch(self, slots: ModelSlots, predictions: PredictionLog) -> None:
        self.registry.register(_StateCollector(slots, predictions))

    def on_served(self, kind: str, version: str, n: int) -> None:
        """Count `n` predictions served by `kind`'s model `version`."""
        self._served(kind, version).inc(n)

    def on_reload(self, kind: str, alias: str, version: str, succeeded: bool) -> None:
        """Count one model load by the reloader."""
        self.reloads.labels(kind, alias, version, "success" if succeeded else "failure").inc()


class _Children:
    """`metric.labels(*labels)`, remembered: `labels` takes a lock and builds a key on every call, µs on every
    request. (The label sets are few: kinds × versions, methods × routes × statuses.)"""

    def __init__(self, metric: Counter | Histogram) -> None:
        self.metric = metric
        self.children: dict[tuple[str, ...], Any] = {}

    def __call__(self, *labels: str) -> Any:
        child = self.children.get(labels)
        if child is None:
            child = self.children[labels] = self.metric.labels(*labels)
        return child


class _StateCollector(Collector):
    def __init__(self, slots: ModelSlots, predictions: PredictionLog) -> None:
        self.slots, self.predictions = slots, predictions

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        served = GaugeMetricFamily(
            "closedloop_served_model",
            "1 for each model version being served.",
            labels=["model", "alias", "version"],
        )
        for model in self.slots.all():
            served.add_metric([model.kind, model.alias, model.version], 1)
        yield served
        dropped = CounterMetricFamily(
            "closedloop_prediction_log_dropped", "Predictions not logged, by reason.", labels=["reason"]
        )
        for reason in ("queue_full", "write_error"):
            dropped.add_metric([reason], self.predictions.dropped[reason])
        yield dropped
        yield CounterMetricFamily(
            "closedloop_prediction_log_written", "Predictions logged.", value=self.predictions.logged
        )


class LatencyMiddleware:
    """Observes every request's duration under its route template (`/v1/feedback`, not the raw path)."""

    def __init__(self, app: ASGIApp, *, histogram: Histogram) -> None:
        self.app, self.histogram, self.observed = app, histogram, _Children(histogram)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.observed(scope["method"], route, str(status)).observe(time.perf_counter() - start)
