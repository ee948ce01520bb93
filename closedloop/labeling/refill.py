"""Refilling the queue as deployed: the policy from settings and the kind's describer (what annotators see
beside an item, e.g. a movie's title and the user's history).

The label watcher, the `closedloop labels refill` command and the UI's refill button all come through here, so
a refill picks the same items whoever starts it.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from closedloop.labeling.candidates import Describe
from closedloop.labeling.queue import queue_depth, refill_queue
from closedloop.labeling.tasks import kind_of
from closedloop.settings import Settings
from models.labeling import QueuePolicy


def deployed_policy(
    settings: Settings, *, batch_size: int | None = None, random_share: float | None = None
) -> QueuePolicy:
    """The queue policy of `settings` (`labeling_batch_size`, `labeling_random_share`, `labeling_window`)."""
    return QueuePolicy(
        batch_size=batch_size or settings.labeling_batch_size,
        random_share=settings.labeling_random_share if random_share is None else random_share,
        window=settings.labeling_window,
    )


def item_describer(settings: Settings, model: str, *, sessions: Callable[[], Session]) -> Describe | None:
    """The describer of the kind `model` (`ModelKind.describer`), reading what the platform logged through
    sessions from `sessions` (`store.session`, a `sessionmaker`); None when the kind shows its items as
    logged (or its data for describing them was never fetched)."""
    return kind_of(model).describer(settings, sessions)


def top_up_queue(session: Session, *, model: str, settings: Settings) -> int:
    """Top `model`'s queue up with the deployed policy once fewer than half of `labeling_queue_cap` items
    wait (never above the cap); commits and returns how many were added (0 when enough are waiting)."""
    return top_up(
        session,
        model=model,
        policy=deployed_policy(settings),
        cap=settings.labeling_queue_cap,
        # the describer reads users' interactions through sessions of its own, on the same database
        describe=item_describer(settings, model, sessions=sessionmaker(session.get_bind())),
    )


def top_up(
    session: Session, *, model: str, policy: QueuePolicy, cap: int, describe: Describe | None = None
) -> int:
    """Refill `model`'s queue (at most a batch, never above `cap` waiting) when fewer than `cap / 2` items
    wait; else add nothing. Callers that run every few seconds (the label watcher, the demo's simulated
    annotators) come through here, so the queue neither floods nor is re-scored on every call."""
    if queue_depth(session, model=model) >= cap / 2:
        return 0
    return refill_queue(session, model=model, policy=policy, describe=describe, cap=cap)
