"""Serving support for the API: champion loading with an on-disk cache, hot reload, and prediction logging.

The API composes these: `Reloader` keeps `ModelSlots` in step with the registry aliases, `PredictionLog`
writes served predictions (and shadow scores) off the request path.
"""

from closedloop.serving.cache import ModelCache
from closedloop.serving.ids import new_prediction_id
from closedloop.serving.loading import ServedModel, fast_inference, load_served, warm
from closedloop.serving.prediction_log import PredictionLog, ShadowScorer
from closedloop.serving.reloading import ALIASES, Reloader, ReloadListener
from closedloop.serving.slots import ModelSlots

__all__ = [
    "ALIASES",
    "ModelCache",
    "ModelSlots",
    "PredictionLog",
    "ReloadListener",
    "Reloader",
    "ServedModel",
    "ShadowScorer",
    "fast_inference",
    "load_served",
    "new_prediction_id",
    "warm",
]
