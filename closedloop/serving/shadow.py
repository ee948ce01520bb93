"""Shadow scoring: the challenger of a kind scores a share of its champion's live traffic, off the request
path (in the prediction log's thread), so the gate can later judge it on real, labelled traffic.

What a challenger's answer looks like is the kind's business (`ModelKind.shadow_score` fills in
`shadow_output`); which version gave it is recorded here (`shadow_version`), for every kind alike.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from closedloop.registry import CHALLENGER
from closedloop.serving.prediction_log import ShadowScorer
from closedloop.serving.slots import ModelSlots
from closedloop.store import PredictionRecord

if TYPE_CHECKING:
    from closedloop.kinds.contract import ModelKind

log = logging.getLogger(__name__)


def shadow_scorer(slots: ModelSlots, kinds: Mapping[str, ModelKind]) -> ShadowScorer:
    """Scores queued predictions with their kind's current challenger; records of a kind without a shadow
    (`config.shadow` false, or no challenger loaded now) come back unchanged."""

    def score(records: list[PredictionRecord]) -> list[PredictionRecord]:
        groups: dict[str, list[PredictionRecord]] = {}
        for record in records:
            groups.setdefault(record.model, []).append(record)
        scored: dict[str, PredictionRecord] = {}
        for name, group in groups.items():
            kind, challenger = kinds.get(name), slots.get(name, CHALLENGER)
            if kind is None or not kind.config.shadow or challenger is None:
                continue
            try:
                shadowed = kind.shadow_score(challenger.wrapper, group)
            except Exception:  # one kind's broken challenger must not cost another kind its shadow scores
                log.exception("shadow scoring of %d %s predictions failed", len(group), name)
                continue
            for record in shadowed:
                scored[record.id] = record.model_copy(update={"shadow_version": challenger.version})
        return [scored.get(record.id, record) for record in records]

    return score
