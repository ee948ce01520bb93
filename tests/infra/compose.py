"""docker-compose.yml as `docker compose config` would see it, without a container engine: YAML anchors and
merge keys resolved (PyYAML does both), `${VAR}` interpolated from an env file the way the Compose
Specification describes it (`$$` is a literal `$`, `${VAR:-default}`, `${VAR-default}`), services outside the
active profiles dropped, and the result validated against the Compose Specification's JSON schema
(vendored in compose_spec/, see its README)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = Path(__file__).with_name("compose_spec") / "compose-spec.json"

# `$$` (an escaped dollar), `${NAME...}` with an optional default, or `$NAME`.
_VARIABLE = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[^}]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")
_BRACED = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?-)(?P<default>.*))?$")


class ComposeError(Exception):
    """The compose file is invalid: the message says where and why."""


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of an env file (blank lines and `#` comments skipped)."""
    pairs = (
        line.split("=", 1) for line in path.read_text().splitlines() if line and not line.startswith("#")
    )
    return {key.strip(): value.strip() for key, value in pairs}


def interpolate(value: Any, env: dict[str, str], *, missing: set[str]) -> Any:
    """`value` with every variable substituted from `env`; names neither set nor defaulted go to `missing`
    (Compose substitutes an empty string for them and warns)."""
    if isinstance(value, dict):
        return {key: interpolate(item, env, missing=missing) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env, missing=missing) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        if match["bare"]:
            name, op, default = match["bare"], None, None
        else:
            braced = _BRACED.match(match["braced"])
            if braced is None:
                raise ComposeError(f"invalid interpolation format: {match.group(0)!r}")
            name, op, default = braced["name"], braced["op"], braced["default"]
        found = env.get(name)
        if op == ":-" and not found:
            return default or ""
        if op == "-" and found is None:
            return default or ""
        if found is None:
            missing.add(name)
            return ""
        return found

    return _VARIABLE.sub(substitute, value)


def load(
    compose_file: Path = ROOT / "docker-compose.yml",
    *,
    env_file: Path = ROOT / ".env.example",
    profiles: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The effective configuration: interpolated, schema-checked, with only the active profiles' services.
    Raises ComposeError for an invalid file, an unset variable or a reference to an undeclared name."""
    raw = yaml.safe_load(compose_file.read_text())
    missing: set[str] = set()
    config = interpolate(raw, read_env_file(env_file), missing=missing)
    if missing:
        raise ComposeError(f"variables set neither in {env_file.name} nor defaulted: {sorted(missing)}")
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    problems = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if problems:
        raise ComposeError(
            "; ".join(f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in problems)
        )
    _check_references(config)
    config["services"] = {
        name: service
        for name, service in config["services"].items()
        if not service.get("profiles") or set(service["profiles"]) & set(profiles)
    }
    return config


def _check_references(config: dict[str, Any]) -> None:
    """What the schema cannot see: `depends_on` names a service, a named volume is declared."""
    services = config["services"]
    declared = set(config.get("volumes") or {})
    for name, service in services.items():
        depends = service.get("depends_on") or []
        for other in depends if isinstance(depends, list) else depends.keys():
            if other not in services:
                raise ComposeError(f"service {name} depends on undefined service {other}")
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source", "")
            named = ":" in volume if isinstance(volume, str) else volume.get("type") == "volume"
            if named and source and not source.startswith((".", "/", "~")) and source not in declared:
                raise ComposeError(f"service {name} uses undeclared volume {source}")
