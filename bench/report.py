"""Writes benchmark results: the JSON file, and Markdown tables spliced into the README between markers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any


def write_results(path: Path, results: dict[str, Any]) -> None:
    """Merge `results` into the JSON file section by section, so one suite can be re-run alone."""
    path.parent.mkdir(parents=True, exist_ok=True)
    existing: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    existing.update(results)
    path.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n")


def markdown_table(headers: list[str], rows: list[list[Any]]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.3f}" if abs(value) < 100 else f"{value:,.0f}"
        return str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def splice_readme(readme: Path, section: str, body: str) -> None:
    """Replace the text between `<!-- bench:SECTION -->` and `<!-- /bench:SECTION -->` in the README."""
    text = readme.read_text()
    pattern = re.compile(rf"(<!-- bench:{section} -->\n).*?(<!-- /bench:{section} -->)", re.S)
    if not pattern.search(text):
        raise ValueError(f"README has no <!-- bench:{section} --> markers")
    readme.write_text(pattern.sub(lambda m: m.group(1) + body.rstrip() + "\n" + m.group(2), text))
