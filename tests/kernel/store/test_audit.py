"""The registry audit log: every alias move, newest first, per registered model."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from closedloop.store import alias_history, record_alias_move


def test_alias_history_is_newest_first_and_complete(session: Session) -> None:
    promote = record_alias_move(
        session, registered_model="spam", alias="champion", from_version=None, to_version="1",
        actor="flow-run/abc", reason="first model", evidence={"auc": 0.97, "label_watermark": 12},
    )  # fmt: skip
    record_alias_move(
        session, registered_model="recsys", alias="champion", from_version=None, to_version="1",
        actor="flow-run/def", reason="first model",
    )  # fmt: skip
    challenge = record_alias_move(
        session, registered_model="spam", alias="challenger", from_version=None, to_version="2",
        actor="flow-run/ghi", reason="retrained on 40 new labels",
    )  # fmt: skip
    retire = record_alias_move(
        session, registered_model="spam", alias="challenger", from_version="2", to_version=None,
        actor="alice", reason="lost the gate",
    )  # fmt: skip

    history = alias_history(session, registered_model="spam")
    assert [move.id for move in history] == [retire.id, challenge.id, promote.id]
    assert history[-1].evidence == {"auc": 0.97, "label_watermark": 12}
    assert history[0].to_version is None and history[0].from_version == "2"
    assert all(move.created_at.tzinfo is not None for move in history)
    assert [move.id for move in alias_history(session, registered_model="spam", limit=1)] == [retire.id]


def test_unknown_alias_is_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="alias"):
        record_alias_move(
            session, registered_model="spam", alias="staging", from_version=None,  # type: ignore[arg-type]
            to_version="1", actor="me", reason="typo",
        )  # fmt: skip
    assert alias_history(session, registered_model="spam") == []
