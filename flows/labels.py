"""The label watcher: turns agreed user feedback into consensus labels, keeps the labeling queue stocked
(the deployed policy tops it up when under half a batch waits), re-judges a standing challenger once enough
of its shadow-scored traffic is labelled, and fires the retraining trigger when enough new labels (and, for
the recommender, interactions) have arrived since the last retrain."""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.events import emit_event

from closedloop.kinds import kind, kinds
from closedloop.labeling import top_up_queue
from closedloop.orchestration import triggers
from closedloop.registry import tracking
from closedloop.settings import get_settings
from closedloop.store import derive_feedback_labels, open_store
from flows.regate import regate_challenger


@flow(name="watch-labels")
def watch_labels() -> dict[str, int]:
    """Derive labels from feedback; emit `closedloop.labels.threshold` for each model that has enough new."""
    settings = get_settings()
    logger = get_run_logger()
    client = tracking.configure(settings)
    store = open_store(settings.store_url)
    counts: dict[str, int] = {}
    try:
        for found in kinds():
            model = found.name
            with store.session() as session:
                derive_feedback_labels(
                    session,
                    kind=kind(model),
                    trust=settings.feedback_trust,
                    untrusted_weight=settings.untrusted_vote_weight,
                )  # type: ignore[arg-type]
                queued = top_up_queue(session, model=model, settings=settings)  # type: ignore[arg-type]
            if queued:
                logger.info("%s: %d items queued for labeling", model, queued)
            if found.config.shadow:
                outcome = regate_challenger.fn(model)  # inline: most minutes it only counts labels
                if outcome["status"] == "judged":
                    logger.info("%s: standing challenger re-judged: %s", model, outcome["reason"])
            due, count, newest = triggers.labels_due(settings, store, client, model=model)
            counts[model] = count
            if due:
                emit_event(
                    event=triggers.LABELS_EVENT,
                    resource={"prefect.resource.id": triggers.resource_id(model)},
                    payload={
                        "new_labels": count,
                        "newest_label_id": newest["labels"],
                        "newest_interaction_id": newest["interactions"],
                    },
                )
                triggers.mark_fired(settings, model=model, newest=newest)
                logger.info("%s: %d new consensus labels — retraining triggered", model, count)
    finally:
        store.close()
    return counts
