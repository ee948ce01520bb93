"""The feedback store: predictions, feedback events, interactions, consensus labels, the registry audit log.

Services and flows open it with `open_store(settings.store_url)` (which migrates the schema) and pass a
session to the functions below. Write functions commit before they return; none returns an ORM row.

The store knows no model by name: a model kind is a string in its tables, and what differs between kinds
(which feedback fits, what it votes, which labels exist, a subject's key and columns) is asked of the kind
(`closedloop.kinds.ModelKind`), which callers hand in — the kinds import the store, not the other way round.
"""

from closedloop.store.access import Store, open_store
from closedloop.store.answers import ANSWER_COLUMNS, read_answers
from closedloop.store.audit import alias_history, record_alias_move
from closedloop.store.consensus import upsert_consensus_label
from closedloop.store.derivation import Derivation, DisputedSubject, Trust, derive_feedback_labels
from closedloop.store.engine import make_engine, session_factory
from closedloop.store.errors import (
    IdempotencyConflict,
    InvalidFeedback,
    InvalidInteraction,
    InvalidLabel,
    PredictionNotFound,
    StoreError,
)
from closedloop.store.feedback import record_feedback, record_feedback_batch
from closedloop.store.interactions import (
    InteractionIn,
    InteractionKind,
    InteractionRecord,
    InteractionSnapshot,
    InteractionWatermark,
    check_interaction,
    count_interactions_since,
    latest_interaction_id,
    read_interactions,
    record_interactions,
    user_history,
)
from closedloop.store.migration import migrate
from closedloop.store.predictions import (
    get_prediction,
    log_predictions,
    recent_predictions,
    record_shadow_scores,
    shadow_predictions,
)
from closedloop.store.records import (
    SOURCE_RANK,
    Alias,
    AliasMove,
    FeedbackIn,
    FeedbackKind,
    FeedbackRecord,
    KindName,
    LabelRecord,
    LabelSource,
    PredictionRecord,
)
from closedloop.store.snapshots import (
    LabelSnapshot,
    Watermark,
    count_labels_since,
    latest_label_id,
    read_training_labels,
)

__all__ = [
    "ANSWER_COLUMNS",
    "SOURCE_RANK",
    "Alias",
    "AliasMove",
    "Derivation",
    "DisputedSubject",
    "FeedbackIn",
    "FeedbackKind",
    "FeedbackRecord",
    "IdempotencyConflict",
    "InteractionIn",
    "InteractionKind",
    "InteractionRecord",
    "InteractionSnapshot",
    "InteractionWatermark",
    "InvalidFeedback",
    "InvalidInteraction",
    "InvalidLabel",
    "KindName",
    "LabelRecord",
    "LabelSnapshot",
    "LabelSource",
    "PredictionNotFound",
    "PredictionRecord",
    "Store",
    "StoreError",
    "Trust",
    "Watermark",
    "alias_history",
    "check_interaction",
    "count_interactions_since",
    "count_labels_since",
    "derive_feedback_labels",
    "get_prediction",
    "latest_interaction_id",
    "latest_label_id",
    "log_predictions",
    "make_engine",
    "migrate",
    "open_store",
    "read_answers",
    "read_interactions",
    "read_training_labels",
    "recent_predictions",
    "record_alias_move",
    "record_feedback",
    "record_feedback_batch",
    "record_interactions",
    "record_shadow_scores",
    "session_factory",
    "shadow_predictions",
    "upsert_consensus_label",
    "user_history",
]
