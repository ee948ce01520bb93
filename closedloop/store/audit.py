"""The history of MLflow alias moves: MLflow keeps only where an alias points now, this table keeps how."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from closedloop.store.records import Alias, AliasMove
from closedloop.store.tables import RegistryAudit


def record_alias_move(
    session: Session,
    *,
    registered_model: str,
    alias: Alias,
    from_version: str | None,
    to_version: str | None,
    actor: str,
    reason: str,
    evidence: dict[str, Any] | None = None,
    created_at: datetime | None = None,
) -> AliasMove:
    """Append one alias move and commit. `to_version=None` records that the alias was removed.

    `actor` is who or what moved it (a user, or a flow run id); `evidence` is the gate's verdict, metrics,
    snapshot watermark, and whatever else a reader needs to trust the move later. `created_at` defaults to
    now; set it only when recording history that happened earlier (fixtures, benchmarks).
    """
    if alias not in ("champion", "challenger"):
        raise ValueError(f"alias must be 'champion' or 'challenger', got {alias!r}")
    row = RegistryAudit(
        registered_model=registered_model,
        alias=alias,
        from_version=from_version,
        to_version=to_version,
        actor=actor,
        reason=reason,
        evidence=evidence or {},
    )
    if created_at is not None:
        row.created_at = created_at
    session.add(row)
    try:
        session.flush()
        move = AliasMove.model_validate(row)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return move


def alias_history(session: Session, *, registered_model: str, limit: int = 100) -> list[AliasMove]:
    """The alias moves of one registered model, newest first."""
    query = (
        select(RegistryAudit)
        .where(RegistryAudit.registered_model == registered_model)
        .order_by(RegistryAudit.id.desc())
        .limit(limit)
    )
    return [AliasMove.model_validate(row) for row in session.scalars(query)]
