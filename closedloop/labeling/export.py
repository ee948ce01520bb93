"""Export of current consensus labels, with provenance, as JSON Lines or CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from closedloop.store.tables import ConsensusLabel

COLUMNS = [
    "label_id",
    "model",
    "subject_key",
    "label",
    "source",
    "agreement",
    "prediction_id",
    "created_at",
    "subject",
    "provenance",
]
BATCH = 1000


def export_consensus(
    session: Session,
    *,
    model: str | None,
    fmt: Literal["jsonl", "csv"],
    sources: tuple[str, ...] | None = None,
) -> Iterator[str]:
    """Current consensus labels of `model` (all models when None), oldest first, one line at a time.

    `sources` limits the export (e.g. `("annotation", "adjudication")` for human labels only). In CSV the
    subject and provenance are JSON strings. Lines end with a newline; the CSV starts with a header.
    """
    if fmt not in ("jsonl", "csv"):
        raise ValueError(f"format must be 'jsonl' or 'csv', got {fmt!r}")
    query = select(ConsensusLabel).where(ConsensusLabel.superseded_by.is_(None))
    if model is not None:
        query = query.where(ConsensusLabel.model == model)
    if sources is not None:
        query = query.where(ConsensusLabel.source.in_(sources))
    rows = session.scalars(query.order_by(ConsensusLabel.id).execution_options(yield_per=BATCH))
    if fmt == "csv":
        yield _csv_line(COLUMNS)
    for row in rows:
        record = _record(row)
        if fmt == "jsonl":
            yield json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n"
        else:
            yield _csv_line(
                [
                    json.dumps(v, sort_keys=True, ensure_ascii=False) if isinstance(v, dict) else v
                    for v in (record[c] for c in COLUMNS)
                ]
            )


def _record(row: ConsensusLabel) -> dict[str, Any]:
    return {
        "label_id": row.id,
        "model": row.model,
        "subject_key": row.subject_key,
        "label": row.label,
        "source": row.source,
        "agreement": row.agreement,
        "prediction_id": row.prediction_id,
        "created_at": row.created_at.isoformat(),
        "subject": row.subject,
        "provenance": row.provenance,
    }


def _csv_line(values: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(["" if v is None else v for v in values])
    return buffer.getvalue()
