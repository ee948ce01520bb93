"""Everything the dashboard shows, as one JSON-ready dict: the page renders it, `/dashboard/api/summary`
returns it. One entry per registered kind, in `kinds()` order: what differs between kinds (title, routes,
live-quality figures and their captions, whether it is monitored or has a learning curve) comes from the kind;
the gate history, traffic, latency, champion moves and drift panels are the same for every kind."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session

from closedloop.kinds import ModelKind, kinds
from closedloop.store import AliasMove, alias_history
from services.dashboard import queries, reports
from services.dashboard.deps import Sources
from services.dashboard.gate import gate_history
from services.dashboard.labeling import labeling_panel
from services.dashboard.latency import latency_percentiles, mounted_paths
from services.dashboard.live import live_panel

REFRESH_SECONDS = 10
MOVE_ROWS = 10


def build_summary(sources: Sources) -> dict[str, Any]:
    """The dashboard's data for every registered kind: a few SELECTs each, two small JSON files, and the
    gate's verdicts from MLflow (cached for a few seconds)."""
    settings = sources.settings
    with sources.store.session() as session:
        models = [_model(session, sources, kind) for kind in kinds(tuple(settings.kinds))]
    return _finite(
        {
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "refresh_seconds": REFRESH_SECONDS,
            "links": {
                "mlflow": mlflow_registry_url(settings.mlflow_ui_url),
                "prefect": settings.prefect_ui_url,
                "evidently": settings.evidently_ui_url,
            },
            "models": models,
        }
    )


def mlflow_registry_url(ui_url: str, registered_name: str | None = None) -> str:
    """The MLflow UI's model registry (MLflow 3's single-page routes: `#/models`, `#/models/<name>`); its
    bare root opens the GenAI home, where no registered model is in sight."""
    base = f"{ui_url.rstrip('/')}/#/models"
    return f"{base}/{quote(registered_name, safe='')}" if registered_name else base


def _model(session: Session, sources: Sources, kind: ModelKind) -> dict[str, Any]:
    model, name = kind.name, kind.config.registered_name
    moves = alias_history(session, registered_model=name, limit=100)
    activity = queries.activity(session, model=model)
    live = live_panel(session, kind=kind, activity=activity, moves=moves)
    routes = mounted_paths(kind)
    return {
        "key": model,
        "title": kind.config.title,
        "registered_name": name,
        "registry_url": mlflow_registry_url(sources.settings.mlflow_ui_url, name),
        "routes": routes,
        "monitored": kind.monitored,
        "has_learning_curve": kind.curve() is not None,
        "champion": _champion(moves),
        "served": sources.served.get(model, {}),
        "gate": gate_history(sources.settings, name=name),
        "alias_moves": [_move_row(move) for move in moves[:MOVE_ROWS]],
        "predictions": activity.n,
        "last_prediction_at": _iso(activity.last),
        "live": live,
        "latency": latency_percentiles(sources.latency, routes=routes),
        "drift": reports.drift(sources.settings, model=model),
        "learning_curve": reports.learning_curve(sources.settings, model=model),
        "labeling": labeling_panel(session, model=model),
    }


def _champion(moves: list[AliasMove]) -> dict[str, Any] | None:
    latest = next((m for m in moves if m.alias == "champion"), None)
    if latest is None or latest.to_version is None:
        return None
    return {"version": latest.to_version, "since": _iso(latest.created_at), "reason": latest.reason}


def _move_row(move: AliasMove) -> dict[str, Any]:
    evidence = move.evidence or {}
    holdout = _section(evidence, "holdout")
    bootstrap, mcnemar = _section(holdout, "bootstrap"), _section(holdout, "mcnemar")
    return {
        "at": _iso(move.created_at),
        "alias": move.alias,
        "from_version": move.from_version,
        "to_version": move.to_version,
        "actor": move.actor,
        "reason": move.reason,
        "rule": evidence.get("rule"),
        "metric": evidence.get("metric"),
        "n": holdout.get("n"),
        "delta": bootstrap.get("estimate"),
        "ci_low": bootstrap.get("ci_low"),
        "ci_high": bootstrap.get("ci_high"),
        "confidence": bootstrap.get("confidence"),
        "p_value": mcnemar.get("p_value"),
    }


def _section(evidence: dict[str, Any], key: str) -> dict[str, Any]:
    """`evidence[key]` where it is a dict (evidence differs between rules and versions), else empty."""
    value = evidence.get(key)
    return value if isinstance(value, dict) else {}


def _finite(value: Any) -> Any:
    """`value` with NaN and infinities (which JSON cannot carry) replaced by None, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None
