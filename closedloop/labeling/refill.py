"""Refilling the queue as deployed: the policy from settings and, for movie items, the MovieLens describer.

The label watcher, the `closedloop labels refill` command and the UI's refill button all come through here, so
a refill picks the same items whoever starts it.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from closedloop import corpora
from closedloop.labeling.candidates import Describe
from closedloop.labeling.movies import movielens_describer
from closedloop.labeling.queue import queue_depth, refill_queue
from closedloop.settings import Settings
from closedloop.store import ModelName
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


def item_describer(
    settings: Settings, model: ModelName, *, sessions: Callable[[], Session]
) -> Describe | None:
    """Titles and what the platform knows of the user (base ratings, then the interactions logged in the
    store that `sessions` opens: `store.session`, a `sessionmaker`) for movie items; None for spam, or when
    MovieLens was never fetched (movie items then show ids only)."""
    from closedloop.kinds.recsys.corpus import MOVIELENS  # here: the kinds import the labeling package

    if model != "recsys" or corpora.read_manifest(settings, MOVIELENS) is None:
        return None
    return movielens_describer(settings, sessions=sessions)


def top_up_queue(session: Session, *, model: ModelName, settings: Settings) -> int:
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
