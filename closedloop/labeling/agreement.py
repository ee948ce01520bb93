"""How well annotators agree and how good they are: the adjudicators' page and the dashboard panel."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta
from itertools import combinations
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from closedloop.labeling.records import AgreementSummary, AnnotatorQuality, PairAgreement
from closedloop.labeling.tasks import task_of
from closedloop.store.tables import Annotation, LabelingItem, User, utcnow
from models.labeling import cohen_kappa

if TYPE_CHECKING:
    from closedloop.kinds.contract import LabelingTask


def agreement_summary(session: Session, *, models: Iterable[str] | None = None) -> AgreementSummary:
    """Cohen's kappa per annotator pair (on items both labelled), each annotator's accuracy on gold and
    against consensus, queue depth per model (each of `models`, default the registered kinds, 0 when nothing
    waits, and any other model with items waiting), items awaiting adjudication, labels in the last hour.

    Accuracy compares labels as their kind's task stores them (relevance grades 3 and 4 agree)."""
    rows = session.execute(
        select(
            Annotation.item_id,
            User.username,
            LabelingItem.model,
            LabelingItem.task,
            Annotation.label,
            LabelingItem.gold_label,
            LabelingItem.consensus_label,
        )
        .join(User, User.id == Annotation.user_id)
        .join(LabelingItem, LabelingItem.id == Annotation.item_id)
        .where(Annotation.kind == "label")
        .order_by(Annotation.id)
    ).all()
    by_item: dict[int, dict[str, tuple[str, int]]] = defaultdict(dict)
    quality: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])  # n, gold n/ok, consensus n/ok
    tasks: dict[str, LabelingTask] = {}
    for item_id, username, model, task_name, label, gold, consensus in rows:
        by_item[item_id][username] = (task_name, label)
        task = tasks.get(model) or tasks.setdefault(model, task_of(model))
        stats = quality[username]
        stats[0] += 1
        if gold is not None:
            stats[1] += 1
            stats[2] += task.stored(label) == task.stored(gold)
        elif consensus is not None:
            stats[3] += 1
            stats[4] += task.stored(label) == consensus
    return AgreementSummary(
        pairs=_pairs(by_item),
        annotators=[
            AnnotatorQuality(
                username=name,
                n_labels=n,
                gold_n=gold_n,
                gold_accuracy=gold_ok / gold_n if gold_n else None,
                consensus_n=cons_n,
                consensus_accuracy=cons_ok / cons_n if cons_n else None,
            )
            for name, (n, gold_n, gold_ok, cons_n, cons_ok) in sorted(quality.items())
        ],
        queue_depth=_depths(session, models),
        awaiting_adjudication=int(
            session.scalar(select(func.count()).where(LabelingItem.status == "disputed")) or 0
        ),
        labels_last_hour=int(
            session.scalar(
                select(func.count()).where(
                    Annotation.kind == "label", Annotation.created_at >= utcnow() - timedelta(hours=1)
                )
            )
            or 0
        ),
    )


def _pairs(by_item: dict[int, dict[str, tuple[str, int]]]) -> list[PairAgreement]:
    """Kappa per pair over the items both labelled; a label is (task, value) so tasks never mix."""
    shared: dict[tuple[str, str], tuple[list[tuple[str, int]], list[tuple[str, int]]]] = {}
    for labels in by_item.values():
        for a, b in combinations(sorted(labels), 2):
            first, second = shared.setdefault((a, b), ([], []))
            first.append(labels[a])
            second.append(labels[b])
    return [
        PairAgreement(annotator_a=a, annotator_b=b, n_items=len(la), kappa=cohen_kappa(la, lb))
        for (a, b), (la, lb) in sorted(shared.items())
    ]


def _depths(session: Session, models: Iterable[str] | None) -> dict[str, int]:
    if models is None:
        from closedloop.kinds import kinds  # kinds import this kernel: looked up when called

        models = [kind.name for kind in kinds()]
    counts: dict[str, int] = dict(
        session.execute(  # type: ignore[arg-type]
            select(LabelingItem.model, func.count())
            .where(LabelingItem.status == "open", LabelingItem.gold_label.is_(None))
            .group_by(LabelingItem.model)
        ).all()
    )
    return {model: int(counts.get(model, 0)) for model in dict.fromkeys([*models, *sorted(counts)])}
