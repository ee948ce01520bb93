"""Serving support for the API: champion loading with an on-disk cache, hot reload, prediction logging and
shadow scoring, and the context a kind's route handlers answer through.

The API composes these: `Reloader` keeps `ModelSlots` in step with the registry aliases of every registered
kind, `PredictionLog` writes served predictions (and shadow scores) off the request path, and one
`ServingContext` per kind is what that kind's handlers use.
"""

from __future__ import annotations

from closedloop.serving.batching import MicroBatcher, Score
from closedloop.serving.bodies import (
    MAX_BATCH,
    MAX_JSON_ID,
    JsonInt,
    RequestBody,
    Text,
    check_json_integer,
    check_text,
)
from closedloop.serving.cache import ModelCache
from closedloop.serving.context import ServedListener, ServingContext
from closedloop.serving.errors import Busy, InvalidRequest, ModelNotLoaded, ServingError, Unavailable
from closedloop.serving.ids import new_prediction_id
from closedloop.serving.loading import ServedModel, fast_inference, load_served
from closedloop.serving.prediction_log import PredictionLog, ShadowScorer, collecting_commits, committed
from closedloop.serving.reloading import Reloader, ReloadListener, served_aliases
from closedloop.serving.shadow import shadow_scorer
from closedloop.serving.slots import ModelSlots

__all__ = [
    "MAX_BATCH",
    "MAX_JSON_ID",
    "Busy",
    "InvalidRequest",
    "JsonInt",
    "MicroBatcher",
    "ModelCache",
    "ModelNotLoaded",
    "ModelSlots",
    "PredictionLog",
    "ReloadListener",
    "Reloader",
    "RequestBody",
    "Score",
    "ServedListener",
    "ServedModel",
    "ServingContext",
    "ServingError",
    "ShadowScorer",
    "Text",
    "Unavailable",
    "check_json_integer",
    "check_text",
    "collecting_commits",
    "committed",
    "fast_inference",
    "load_served",
    "new_prediction_id",
    "served_aliases",
    "shadow_scorer",
]
