"""The serving context: everything a kind's route handler may use while it answers one request.

The API builds one context per registered kind and hands it to the kind's handlers (`Route.handler(body,
context)`). Through it a handler reads the kind's served champion (or learns that none is loaded: a
`ModelNotLoaded` the API answers with 503), queues its predictions for logging (and, for a kind with a
shadow-scored challenger, for shadow scoring), batches concurrent scoring calls, reads the store and the
settings, and counts what it served. A handler never sees the web framework, nor another kind's models.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from closedloop.registry import CHALLENGER, CHAMPION
from closedloop.serving.batching import MicroBatcher, Score
from closedloop.serving.errors import ModelNotLoaded
from closedloop.serving.loading import ServedModel
from closedloop.serving.prediction_log import PredictionLog
from closedloop.serving.slots import ModelSlots
from closedloop.settings import Settings
from closedloop.store import PredictionRecord, Store

if TYPE_CHECKING:
    from closedloop.kinds.contract import ModelKind

T = TypeVar("T")
R = TypeVar("R")
ServedListener = Callable[[str, str, int], None]  # (kind, model version, predictions served)

# A private generator for the shadow-traffic draw: the request path never touches the global `random` state,
# which other code (and property-based tests driving the app in-process) may rely on.
_shadow_draw = random.Random()


def _count_nothing(_kind: str, _version: str, _n: int) -> None:
    return None


@dataclass(frozen=True)
class ServingContext:
    """What one kind's handlers may use; `on_served` counts served predictions (the API's metrics)."""

    kind: ModelKind
    settings: Settings
    store: Store
    slots: ModelSlots
    predictions: PredictionLog
    batcher: MicroBatcher = field(default_factory=MicroBatcher)
    on_served: ServedListener = _count_nothing

    @property
    def name(self) -> str:
        return self.kind.name

    def champion(self) -> ServedModel:
        """The kind's champion being served now; `ModelNotLoaded` while none is loaded."""
        served = self.slots.get(self.name, CHAMPION)
        if served is None:
            raise ModelNotLoaded(self.name)
        return served

    def challenger(self) -> ServedModel | None:
        """The challenger shadow-scoring this kind's traffic, if the kind has one and it is loaded."""
        return self.slots.get(self.name, CHALLENGER) if self.kind.config.shadow else None

    def log(self, record: PredictionRecord, *, shadow: bool | None = None) -> bool:
        """Queue `record` for logging (False: the queue was full; the drop is counted).

        `shadow` None draws: a `shadow_share` of the traffic of a kind whose challenger is loaded is also
        scored by it, after the response; True or False decides for this record.
        """
        if shadow is None:
            share = self.settings.shadow_share
            shadow = share > 0 and self.challenger() is not None and _shadow_draw.random() < share
        return self.predictions.submit(record, shadow=shadow)

    async def batched(self, served: ServedModel, score: Score[T, R], item: T) -> R:
        """`item` scored by `score(served.wrapper, items)` together with the concurrent requests' items (one
        model call for all); call it from the event loop (an `async` handler)."""
        return await self.batcher.score(served, score, item)

    def count(self, served: ServedModel, n: int = 1) -> None:
        """Count `n` predictions served by `served` (the API's `closedloop_predictions` metric)."""
        self.on_served(self.name, served.version, n)
