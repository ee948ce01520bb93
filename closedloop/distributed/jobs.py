"""The jobs the CLI and the retrain flow run under torchrun: a kind's evaluation protocol, one candidate's
training. Module-level functions of plain arguments, so each replica can unpickle and call them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from closedloop.kinds import kind
from closedloop.retraining.candidate import Candidate
from closedloop.settings import Settings, get_settings


def evaluate(
    kind_name: str,
    model: str,
    *,
    options: Mapping[str, str],
    seed: int,
    checkpoint_dir: Path | None,
    resume: bool,
) -> dict[str, Any] | None:
    """`ModelKind.evaluate` in this replica, with the settings of the environment torchrun inherited."""
    return kind(kind_name).evaluate(
        get_settings(), model, options=options, seed=seed, checkpoint_dir=checkpoint_dir, resume=resume
    )


def train_candidate(kind_name: str, snapshot: Any, name: str, settings: Settings) -> Candidate:
    """`ModelKind.train` in this replica: every replica fits on the whole snapshot's share the loop deals."""
    return kind(kind_name, tuple(settings.kinds)).train(snapshot, name, settings)
