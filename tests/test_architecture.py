"""The layering and the one home of a model kind, checked on the source tree (ast, no imports run).

- `models/` is pure ML: it imports nothing of the platform.
- The kernel (`closedloop/`) never imports the flows, the services or the entry points (CLI, bench, replay).
- `services/` and `flows/` never import each other.
- Outside the shipped kinds' own packages (`closedloop/kinds/<kind>/`, `models/<kind>/`), product code holds
  no model kind's name: what differs between kinds is data a kind hands over, not a branch elsewhere.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("closedloop", "models", "flows", "services", "cli", "bench", "replay")
KIND_NAMES = {"spam", "recsys", "spam-filter", "recommender"}
# The shipped kinds' own homes: the only product code that may know a model by name.
KIND_HOMES = ("closedloop/kinds/spam/", "closedloop/kinds/recsys/", "models/spam/", "models/recsys/")
PLATFORM = {
    "closedloop",
    "flows",
    "services",
    "cli",
    "bench",
    "replay",
    "mlflow",
    "prefect",
    "fastapi",
    "sqlalchemy",
}
ENTRY_POINTS = {"flows", "services", "cli", "bench", "replay"}


def python_files(*tops: str) -> Iterator[Path]:
    for top in tops:
        folder = ROOT / top
        if folder.is_dir():
            yield from sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def imported_roots(path: Path) -> set[str]:
    """The top-level packages a module imports (absolute imports only; relative ones stay inside)."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_models_import_nothing_of_the_platform() -> None:
    offenders = {relative(path): sorted(imported_roots(path) & PLATFORM) for path in python_files("models")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_kernel_never_imports_flows_services_or_entry_points() -> None:
    offenders = {
        relative(path): sorted(imported_roots(path) & ENTRY_POINTS) for path in python_files("closedloop")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


@pytest.mark.parametrize(("layer", "never"), [("services", "flows"), ("flows", "services")])
def test_services_and_flows_never_import_each_other(layer: str, never: str) -> None:
    offenders = [relative(path) for path in python_files(layer) if never in imported_roots(path)]
    assert offenders == []


def kind_literals(path: Path) -> list[str]:
    """Lines holding a string constant that is a kind's name (f-string pieces included)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in KIND_NAMES:
            found.append(f"{relative(path)}:{node.lineno}: {node.value!r}")
    return found


def test_no_model_name_outside_its_own_package() -> None:
    files = [p for p in python_files(*PRODUCT) if not relative(p).startswith(KIND_HOMES)]
    assert len(files) > 50, "the product tree was found"
    offenders = [line for path in files for line in kind_literals(path)]
    assert offenders == [], "a kind's name outside its package:\n" + "\n".join(offenders)


def test_templates_and_scripts_name_no_kind() -> None:
    offenders = []
    for path in sorted((ROOT / "services").rglob("*")):
        if path.suffix in {".html", ".js"} and "vendor" not in path.parts:
            text = path.read_text()
            offenders += [
                f"{relative(path)}: {name!r}"
                for name in KIND_NAMES
                if f'"{name}"' in text or f"'{name}'" in text
            ]
    assert offenders == []
