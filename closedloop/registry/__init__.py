"""MLflow, in one place: the registry's aliases with their audit log (`aliases.py`, the one module that moves
them), tracking runs (`tracking.py`), a kind's model as an MLflow pyfunc (`packaging.py`), and the gate's
decisions as version tags (`decisions.py`). The alias API is re-exported here: `registry.promote(...)`.
"""

from closedloop.registry.aliases import (
    CHALLENGER,
    CHAMPION,
    RegistryError,
    VersionInfo,
    aliased_version,
    history,
    list_versions,
    move_alias,
    promote,
    registered_name,
    rollback,
)

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "RegistryError",
    "VersionInfo",
    "aliased_version",
    "history",
    "list_versions",
    "move_alias",
    "promote",
    "registered_name",
    "rollback",
]
