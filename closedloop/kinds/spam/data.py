"""The spam filter's data hooks: its corpus, and the offline evaluation protocol `closedloop train spam`
runs (time or random split, F1-optimal threshold chosen on validation, test scored once)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from closedloop.corpora import Corpus
from closedloop.kinds.data import ProtocolOption
from closedloop.kinds.spam.corpus import SPAM_ASSASSIN, load_spam
from closedloop.settings import Settings
from models.spam.splits import SPLITS

SPLIT = ProtocolOption(
    name="split",
    choices=SPLITS,
    default="time",
    help="time: train on the oldest 70 %; random: stratified.",
)


class SpamData:
    """Data hooks: SpamAssassin, and F1, precision, recall, FPR and ROC AUC on the protocol's test split."""

    def corpora(self) -> Sequence[Corpus]:
        return (SPAM_ASSASSIN,)

    def protocol_options(self) -> Sequence[ProtocolOption]:
        return (SPLIT,)

    def evaluate(
        self,
        settings: Settings,
        model: str,
        *,
        options: Mapping[str, str],
        seed: int = 0,
        checkpoint_dir: Path | None = None,
        resume: bool = False,
    ) -> dict[str, Any] | None:
        from models.spam.evaluate import evaluate_spam  # torch: only when a protocol runs

        result = evaluate_spam(
            load_spam(settings),
            model=model,
            split=options.get(SPLIT.name, SPLIT.default),
            seed=seed,
            checkpoint_dir=checkpoint_dir,
            resume=resume,
        )
        return dict(result.metrics)
