"""The labeling kernel (issue 6): accounts, login sessions, the active-learning queue, blind double
annotation, adjudication, agreement and export. The web UI (`services/labeling`) and the demo's simulated
annotators use exactly these names; every function takes a store session first and commits its writes.
"""

from closedloop.labeling.accounts import authenticate, create_user, get_user, list_users, set_disabled
from closedloop.labeling.adjudication import adjudicate, items_to_adjudicate
from closedloop.labeling.agreement import agreement_summary
from closedloop.labeling.annotation import skip_item, submit_label, undo_last
from closedloop.labeling.assignments import check_handed_out, hand_out
from closedloop.labeling.candidates import Describe
from closedloop.labeling.errors import (
    AlreadyLabelled,
    InvalidCredentials,
    InvalidItemLabel,
    ItemUnavailable,
    LabelingError,
    NotHandedOut,
    NotPermitted,
    UnknownUser,
    UserExists,
)
from closedloop.labeling.export import export_consensus
from closedloop.labeling.queue import add_gold_items, next_item, queue_depth, refill_queue
from closedloop.labeling.records import (
    AgreementSummary,
    AnnotatorQuality,
    CastLabel,
    DisputedItem,
    ItemRecord,
    PairAgreement,
    Role,
    SubmitOutcome,
    UserRecord,
)
from closedloop.labeling.refill import deployed_policy, item_describer, top_up, top_up_queue
from closedloop.labeling.sessions import close_session, open_session, resolve_session
from models.labeling import QueuePolicy

__all__ = [
    "AgreementSummary",
    "AlreadyLabelled",
    "AnnotatorQuality",
    "CastLabel",
    "Describe",
    "DisputedItem",
    "InvalidCredentials",
    "InvalidItemLabel",
    "ItemRecord",
    "ItemUnavailable",
    "LabelingError",
    "NotHandedOut",
    "NotPermitted",
    "PairAgreement",
    "QueuePolicy",
    "Role",
    "SubmitOutcome",
    "UnknownUser",
    "UserExists",
    "UserRecord",
    "add_gold_items",
    "adjudicate",
    "agreement_summary",
    "authenticate",
    "check_handed_out",
    "close_session",
    "create_user",
    "deployed_policy",
    "export_consensus",
    "get_user",
    "hand_out",
    "item_describer",
    "items_to_adjudicate",
    "list_users",
    "next_item",
    "open_session",
    "queue_depth",
    "refill_queue",
    "resolve_session",
    "set_disabled",
    "skip_item",
    "submit_label",
    "top_up",
    "top_up_queue",
    "undo_last",
]
