"""Gate decisions as MLflow keeps them: tags on each registered version, written by the retraining flow and
read back by whoever shows the gate's history (the dashboard, `closedloop models list`).

The audit log (`registry_audit`) records alias moves, so it holds promotions but not refusals: a refused
version moves no alias. Every gated version carries its verdict here, promoted or not, with the headline of
the evidence; the whole evidence is the run's `gate/evidence.json` artifact.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from mlflow import MlflowClient

from closedloop import clock
from closedloop.gate import GateDecision
from closedloop.registry import list_versions

__all__ = ["GateRecord", "decision_tags", "gate_records"]

Verdict = Literal["promote", "refuse", "pending", "abandoned"]
_CI = re.compile(r"\[\s*([^,\]]+)\s*,\s*([^\]]+)\]")


def decision_tags(
    decision: GateDecision, *, champion_version: str | None = None, decided_at: datetime | None = None
) -> dict[str, str]:
    """The headline of the evidence as MLflow tags (the whole evidence goes in as a JSON artifact).

    `gate.metrics` is a small JSON: the holdout size, both models' holdout metrics and the champion version
    compared against, so a reader sees what the verdict rests on without downloading the artifact.
    """
    evidence = decision.evidence
    # The headline is the slice that decided: the recent window, or the holdout for a first model.
    primary = evidence.get(evidence.get("primary", "holdout"), {})
    bootstrap = primary.get("bootstrap") or {}
    mcnemar = primary.get("mcnemar") or {}
    tags = {
        "gate.decision": "promote" if decision.promote else "refuse",
        "gate.rule": str(evidence.get("rule", "")),
        "gate.reason": decision.reason[:5000],
        "gate.decided_at": (decided_at or clock.now()).isoformat(timespec="seconds"),
        "gate.metrics": json.dumps(
            {
                "metric": evidence.get("metric"),
                "slice": evidence.get("primary", "holdout"),
                "n": primary.get("n"),
                "challenger": primary.get("challenger") or {},
                "champion": primary.get("champion") or {},
                "champion_version": champion_version,
            },
            default=str,
        )[:5000],
    }
    if bootstrap:
        tags["gate.delta"] = f"{bootstrap.get('estimate', float('nan')):.5f}"
        tags["gate.ci"] = (
            f"[{bootstrap.get('ci_low', float('nan')):.5f}, {bootstrap.get('ci_high', float('nan')):.5f}]"
        )
    if mcnemar:
        tags["gate.mcnemar_p"] = f"{mcnemar.get('p_value', float('nan')):.5g}"
    return tags


@dataclass(frozen=True)
class GateRecord:
    """One registered version and what the gate said about it (`pending`: no verdict recorded yet;
    `abandoned`: the retrain that registered it stopped before the gate, see pending.py)."""

    version: str
    verdict: Verdict
    registered_at: datetime
    decided_at: datetime | None
    aliases: list[str]
    reason: str | None = None
    rule: str | None = None
    metric: str | None = None
    n: int | None = None
    delta: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    champion_version: str | None = None
    challenger_metrics: dict[str, float] = field(default_factory=dict)
    champion_metrics: dict[str, float] = field(default_factory=dict)

    @property
    def at(self) -> datetime:
        """When the verdict was given (registration time for versions gated before it was recorded)."""
        return self.decided_at or self.registered_at


def gate_records(client: MlflowClient, *, name: str, limit: int = 20) -> list[GateRecord]:
    """The newest `limit` versions of `name` with their gate verdicts, newest first."""
    return [_record(version) for version in list_versions(client, name=name)[:limit]]


def _record(version: Any) -> GateRecord:
    tags: dict[str, str] = version.tags
    verdict = tags.get("gate.decision")
    metrics = _json(tags.get("gate.metrics"))
    low, high = _interval(tags.get("gate.ci"))
    n = metrics.get("n")
    return GateRecord(
        version=version.version,
        verdict=verdict if verdict in ("promote", "refuse", "abandoned") else "pending",  # type: ignore[arg-type]
        registered_at=datetime.fromtimestamp(version.created_at_ms / 1000, tz=UTC),
        decided_at=_when(tags.get("gate.decided_at")),
        aliases=list(version.aliases),
        reason=tags.get("gate.reason"),
        rule=tags.get("gate.rule") or None,
        metric=metrics.get("metric"),
        n=int(n) if isinstance(n, int | float) else None,
        delta=_number(tags.get("gate.delta")),
        ci_low=low,
        ci_high=high,
        p_value=_number(tags.get("gate.mcnemar_p")),
        champion_version=_text(metrics.get("champion_version")),
        challenger_metrics=_numbers(metrics.get("challenger")),
        champion_metrics=_numbers(metrics.get("champion")),
    )


def _number(text: object) -> float | None:
    try:
        value = float(str(text))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _numbers(value: object) -> dict[str, float]:
    if not isinstance(value, dict):
        return {}
    numbers = {str(k): _number(v) for k, v in value.items() if v is not None}
    return {k: v for k, v in numbers.items() if v is not None}


def _interval(text: str | None) -> tuple[float | None, float | None]:
    match = _CI.fullmatch(text.strip()) if text else None
    return (_number(match.group(1)), _number(match.group(2))) if match else (None, None)


def _json(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _when(text: str | None) -> datetime | None:
    try:
        value = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _text(value: object) -> str | None:
    return None if value is None else str(value)
