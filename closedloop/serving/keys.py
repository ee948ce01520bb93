"""API keys: who may call the API, and how much the feedback sent under each key counts.

A key is a secret the caller sends as `X-API-Key`. It has a role (`client`: predictions, feedback,
interactions; `admin`: the admin routes) and, for client keys, a trust level that weighs its feedback:

- `trusted`: an application that vouches for its users; every actor it names is a voter of their own.
- `untrusted`: a caller whose actors cannot be told apart from made-up ones; all its actors together cast
  one vote, of reduced weight (`untrusted_vote_weight`).

Keys come from the settings (`CLOSEDLOOP_TRUSTED_API_KEYS`, `CLOSEDLOOP_API_KEYS` for untrusted clients,
`CLOSEDLOOP_ADMIN_API_KEYS`) and from the key file HOME/api-keys.json (mode 0600) that `closedloop keys
create` and `closedloop demo` write. A key is known to the store only by its id, a fingerprint of the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from closedloop.settings import Settings
from closedloop.store.records import SenderTrust

__all__ = [
    "ApiKey",
    "KeyFileError",
    "SenderTrust",
    "configured_keys",
    "create_key",
    "ensure_keys",
    "find_key",
]

Role = Literal["client", "admin"]
KeyTrust = Literal["trusted", "untrusted"]

HOW_TO_CREATE = (
    "create one with `closedloop keys create` (add `--admin` for an admin key; it is written to "
    "HOME/api-keys.json), or set CLOSEDLOOP_TRUSTED_API_KEYS / CLOSEDLOOP_API_KEYS / "
    "CLOSEDLOOP_ADMIN_API_KEYS"
)


class KeyFileError(ValueError):
    """The key file cannot be read as closedloop's key file; the message says which file and why."""


def key_id(secret: str) -> str:
    """The id the store records for a key: a fingerprint that does not reveal the secret."""
    return "key-" + hashlib.sha256(secret.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ApiKey:
    role: Role
    trust: KeyTrust
    secret: str = field(repr=False)

    @property
    def id(self) -> str:
        return key_id(self.secret)


def key_file(settings: Settings) -> Path:
    """HOME/api-keys.json: the keys `closedloop keys create` and the demo write."""
    return (settings.home / "api-keys.json").resolve()


def configured_keys(settings: Settings) -> list[ApiKey]:
    """Every key the settings and the key file name."""
    keys = [ApiKey("client", "trusted", s) for s in settings.trusted_api_keys or []]
    keys += [ApiKey("client", "untrusted", s) for s in settings.api_keys or []]
    keys += [ApiKey("admin", "trusted", s) for s in settings.admin_api_keys or []]
    return keys + _read(key_file(settings))


def find_key(keys: list[ApiKey], given: str, *, role: Role) -> ApiKey | None:
    """The key of `role` whose secret is `given` (compared in constant time), else None."""
    found = None
    for key in keys:
        if key.role == role and hmac.compare_digest(given.encode(), key.secret.encode()):
            found = key
    return found


def create_key(settings: Settings, *, role: Role, trust: KeyTrust = "trusted") -> ApiKey:
    """A new random key, appended to the key file (created with mode 0600)."""
    key = ApiKey(role, trust, secrets.token_urlsafe(32))
    path = key_file(settings)
    _write(path, [*_read(path), key])
    return key


def ensure_keys(settings: Settings) -> tuple[ApiKey, ApiKey]:
    """A trusted client key and an admin key from the key file, created where missing (the demo's keys)."""
    existing = _read(key_file(settings))
    client = next((k for k in existing if k.role == "client" and k.trust == "trusted"), None)
    admin = next((k for k in existing if k.role == "admin"), None)
    return (
        client or create_key(settings, role="client", trust="trusted"),
        admin or create_key(settings, role="admin"),
    )


def _read(path: Path) -> list[ApiKey]:
    if not path.exists():
        return []
    try:
        entries = json.loads(path.read_text())["keys"]
        return [ApiKey(e["role"], e.get("trust", "trusted"), e["secret"]) for e in entries]
    except (ValueError, KeyError, TypeError) as error:
        raise KeyFileError(f"{path} is not a closedloop key file ({error}); remove or repair it") from error


def _write(path: Path, keys: list[ApiKey]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    entries = [{"id": k.id, "role": k.role, "trust": k.trust, "secret": k.secret} for k in keys]
    partial = path.with_suffix(".tmp")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump({"keys": entries}, handle, indent=2)
    os.chmod(partial, 0o600)
    os.replace(partial, path)
