"""MLflow registry aliases — the one module that moves them — with every move written to the audit log.

MLflow keeps no history of alias changes (mlflow#2169), so `registry_audit` in the feedback store is that
history: rollback reads it to find the previous champion. Stages are deprecated; only aliases are used.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Final

from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from closedloop.store import Alias, AliasMove, Store, alias_history, record_alias_move

log = logging.getLogger(__name__)

CHAMPION: Final = "champion"
CHALLENGER: Final = "challenger"


class RegistryError(Exception):
    """A registry request that cannot be carried out; the message says why."""


def registered_name(model: str) -> str:
    """The registered MLflow model of a kind (`kind.config.registered_name`); registered names are accepted
    as they are."""
    from closedloop.kinds import UnknownKind, kind

    try:
        return kind(model).config.registered_name
    except UnknownKind as error:
        raise RegistryError(str(error)) from None


@dataclass(frozen=True)
class VersionInfo:
    version: str
    run_id: str | None
    aliases: list[str]
    created_at_ms: int
    tags: dict[str, str]


def aliased_version(client: MlflowClient, *, name: str, alias: str) -> ModelVersion | None:
    """The version an alias points at, or None when the alias (or the model) does not exist yet."""
    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException as exc:
        if exc.error_code in {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"}:
            return None
        raise


def list_versions(client: MlflowClient, *, name: str) -> list[VersionInfo]:
    """Every registered version, newest first."""
    versions = client.search_model_versions(f"name = '{name}'")
    aliases: dict[str, list[str]] = {}
    if versions:
        # search_model_versions leaves `aliases` empty; the registered model has the mapping.
        for alias, version in client.get_registered_model(name).aliases.items():
            aliases.setdefault(str(version), []).append(alias)
    infos = [
        VersionInfo(
            version=str(v.version),
            run_id=v.run_id,
            aliases=sorted(aliases.get(str(v.version), [])),
            created_at_ms=int(v.creation_timestamp or 0),
            tags=dict(v.tags or {}),
        )
        for v in versions
    ]
    return sorted(infos, key=lambda v: int(v.version), reverse=True)


def move_alias(
    client: MlflowClient,
    store: Store,
    *,
    name: str,
    alias: Alias,
    version: str | None,
    actor: str,
    reason: str,
    evidence: dict[str, Any] | None = None,
) -> AliasMove:
    """Point `alias` at `version` (None removes it) and record the move; undo the MLflow change if the
    audit write fails, so that the log never misses a move."""
    current = aliased_version(client, name=name, alias=alias)
    from_version = str(current.version) if current else None
    if version is None:
        if current is not None:
            client.delete_registered_model_alias(name, alias)
    else:
        client.get_model_version(name, version)  # raises a clear MLflow error for an unknown version
        client.set_registered_model_alias(name, alias, version)
    try:
        with store.session() as session:
            move = record_alias_move(
                session,
                registered_model=name,
                alias=alias,
                from_version=from_version,
                to_version=version,
                actor=actor,
                reason=reason,
                evidence=evidence or {},
            )
    except Exception:
        log.exception("audit write failed; restoring %s@%s to %s", name, alias, from_version)
        if from_version is None:
            client.delete_registered_model_alias(name, alias)
        else:
            client.set_registered_model_alias(name, alias, from_version)
        raise
    log.info("%s@%s: %s -> %s (%s) by %s", name, alias, from_version, version, reason, actor)
    return move


def promote(
    client: MlflowClient,
    store: Store,
    *,
    name: str,
    version: str,
    actor: str,
    reason: str,
    evidence: dict[str, Any] | None = None,
) -> AliasMove:
    """Make `version` the champion; a challenger alias on the same version is cleared."""
    move = move_alias(
        client,
        store,
        name=name,
        alias=CHAMPION,
        version=version,
        actor=actor,
        reason=reason,
        evidence=evidence,
    )
    challenger = aliased_version(client, name=name, alias=CHALLENGER)
    if challenger is not None and str(challenger.version) == version:
        move_alias(client, store, name=name, alias=CHALLENGER, version=None, actor=actor, reason="promoted")
    return move


def rollback(client: MlflowClient, store: Store, *, name: str, actor: str, reason: str) -> AliasMove:
    """Restore the champion that preceded the current one, according to the audit log."""
    current = aliased_version(client, name=name, alias=CHAMPION)
    if current is None:
        raise RegistryError(f"{name} has no champion to roll back from")
    with store.session() as session:
        moves = alias_history(session, registered_model=name, limit=1000)
    arrivals = [m for m in moves if m.alias == CHAMPION and m.to_version == str(current.version)]
    previous = next((m.from_version for m in arrivals if m.from_version is not None), None)
    if previous is None:
        raise RegistryError(f"{name} v{current.version} has no previous champion in the audit log")
    return move_alias(
        client,
        store,
        name=name,
        alias=CHAMPION,
        version=previous,
        actor=actor,
        reason=f"rollback from v{current.version}: {reason}",
        evidence={"rolled_back_version": str(current.version)},
    )


def history(store: Store, *, name: str, limit: int = 100) -> list[AliasMove]:
    """Alias moves of one registered model, newest first."""
    with store.session() as session:
        return alias_history(session, registered_model=name, limit=limit)
