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
    """Refill `model`'s queue with the deployed policy when fewer than half a batch of items wait; commits and
    returns how many were added (0 when enough are waiting)."""
    if queue_depth(session, model=model) >= settings.labeling_batch_size / 2:
        return 0
    return refill_queue(
        session,
        model=model,
        policy=deployed_policy(settings),
        # the describer reads users' interactions through sessions of its own, on the same database
        describe=item_describer(settings, model, sessions=sessionmaker(session.get_bind())),
    )
