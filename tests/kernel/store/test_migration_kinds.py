"""Migrations 0004 (kinds as data) and 0005 (feedback senders): a store built at 0003 keeps every row through
the upgrades, keeps its watermarks and the CHECKs that are not about kinds, and then accepts rows of a kind no
CHECK ever listed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, MetaData, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from closedloop.store import make_engine, migrate
from closedloop.store.migration import head_revision
from closedloop.store.tables import (
    Adjudication,
    Annotation,
    Base,
    ConsensusLabel,
    FeedbackEvent,
    Interaction,
    LabelingItem,
    LoginSession,
    Prediction,
    RegistryAudit,
    User,
)

AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
NEW_KIND = "sentiment-of-reviews"  # longer than the 16 characters 0001 allowed a model name


def put(connection: Connection, table: type[Base], **values: Any) -> Any:
    """Insert one row; returns its primary key."""
    [key] = table.__table__.primary_key.columns
    return connection.execute(insert(table).returning(key), [values]).scalar_one()


def write_every_table(connection: Connection) -> int:
    """Rows in every table, as the spam filter and the recommender left them at 0003: labels superseded,
    a labelled item with its annotation and adjudication, and a deleted feedback event, whose id it returns
    (ids are watermarks: it must never be handed out again)."""
    spam = {"model": "spam", "model_version": "3", "created_at": AT}
    put(
        connection,
        Prediction,
        id="p-spam",
        input={"text": "Win\n\nnow"},
        output={"is_spam": True},
        score=0.9,
        **spam,
    )
    put(
        connection,
        Prediction,
        id="p-recsys",
        model="recsys",
        model_version="5",
        input={"user_id": 7, "k": 2},
        output={"items": [10, 20], "scores": [0.9, 0.8]},
        shadow_version="6",
        shadow_output={"items": [20, 10]},
        created_at=AT,
    )
    event = {"actor": "alice", "received_at": AT}
    put(connection, FeedbackEvent, event_id="e1", prediction_id="p-spam", kind="report_spam", **event)
    put(connection, FeedbackEvent, event_id="e2", prediction_id="p-recsys", kind="click", value=10, **event)
    last = put(connection, FeedbackEvent, event_id="e3", prediction_id="p-recsys", kind="dismiss", **event)
    connection.execute(delete(FeedbackEvent).where(FeedbackEvent.id == last))
    label = {
        "model": "spam",
        "subject_key": "sha256:win",
        "prediction_id": "p-spam",
        "subject": {"text": "Win"},
    }
    written = {"provenance": {}, "created_at": AT, **label}
    first = put(connection, ConsensusLabel, label=0, source="user_feedback", **written)
    superseded = update(ConsensusLabel).where(ConsensusLabel.id == first)
    connection.execute(superseded.values(superseded_by=first))  # claimed first, as the store does
    second = put(connection, ConsensusLabel, label=1, source="adjudication", **written)
    connection.execute(superseded.values(superseded_by=second))
    put(
        connection,
        RegistryAudit,
        registered_model="spam-filter",
        alias="champion",
        to_version="3",
        actor="gate",
        reason="first",
        evidence={"f1": 0.95},
        created_at=AT,
    )
    user = put(
        connection,
        User,
        username="ann",
        password_hash="hash",
        role="adjudicator",
        disabled=False,
        created_at=AT,
    )
    put(
        connection,
        LoginSession,
        token_hash="f" * 64,
        user_id=user,
        csrf_token="c",
        created_at=AT,
        expires_at=AT,
    )
    item = put(
        connection,
        LabelingItem,
        model="spam",
        task="spam",
        subject_key="sha256:win",
        subject={"subject": "Win"},
        reason="disputed",
        priority=3.2,
        model_label=1,
        prediction_id="p-spam",
        status="resolved",
        n_labels=2,
        consensus_label=1,
        consensus_id=second,
        created_at=AT,
        resolved_at=AT,
    )
    put(connection, Annotation, item_id=item, user_id=user, kind="label", label=1, created_at=AT)
    put(connection, Adjudication, item_id=item, user_id=user, label=1, created_at=AT)
    put(
        connection,
        Interaction,
        event_id="i1",
        model="recsys",
        user_id=7,
        item_id=10,
        kind="rating",
        value=4.0,
        occurred_at=AT,
        received_at=AT,
        actor="alice",
    )
    return int(last)


LATER_TABLES = {"labeling_assignments"}  # made by migrations after 0005 (0006: issue 13)


def every_row(engine: Engine, *, without: tuple[str, ...] = ()) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables 0003 has, as the database has them (its own columns, reflected), less the
    columns `without`."""
    found = MetaData()
    found.reflect(bind=engine)
    tables = (t.name for t in Base.metadata.sorted_tables if t.name not in LATER_TABLES)
    with engine.connect() as connection:
        return {
            name: [
                tuple(v for k, v in row._mapping.items() if k not in without)
                for row in connection.execute(select(table).order_by(*table.primary_key))
            ]
            for name, table in ((name, found.tables[name]) for name in tables)
        }


def refused(engine: Engine, table: type[Base], row: dict[str, Any]) -> bool:
    """Whether the database refuses `row` (nothing is kept either way)."""
    with engine.connect() as connection:
        try:
            connection.execute(insert(table), [row])
        except IntegrityError:
            return True
        finally:
            connection.rollback()
    return False


def new_kind_rows(engine: Engine) -> None:
    """A prediction, feedback, a label and a labeling item of a kind, a feedback kind and a task that no
    migration ever named."""
    with engine.begin() as connection:
        new = {"model": NEW_KIND, "created_at": AT}
        put(
            connection,
            Prediction,
            id="p-new",
            model_version="1",
            input={"review": 1},
            output={"p": 0.8},
            **new,
        )
        put(
            connection,
            FeedbackEvent,
            event_id="e-new",
            prediction_id="p-new",
            kind="thumbs_up",
            actor="b",
            received_at=AT,
        )
        subject = {"subject_key": "review:1", "subject": {"review": 1}}
        put(connection, ConsensusLabel, label=1, source="annotation", provenance={}, **subject, **new)
        put(
            connection,
            LabelingItem,
            task="review-tone",
            reason="random",
            priority=0.1,
            status="open",
            n_labels=0,
            **subject,
            **new,
        )


def test_upgrade_from_0003_keeps_every_row_and_accepts_new_kinds(empty_url: str) -> None:
    assert migrate(empty_url, revision="0003") == "0003"
    engine = make_engine(empty_url)
    try:
        with engine.begin() as connection:
            deleted = write_every_table(connection)
        before = every_row(engine)
        assert all(before.values()), "every table holds a row before the upgrade"
        unlisted = {"id": "p-x", "model": NEW_KIND[:16], "model_version": "1", "input": {}, "output": {}}
        assert refused(engine, Prediction, {**unlisted, "created_at": AT})  # 0003 still lists the kinds

        assert migrate(empty_url, revision="0004") == "0004"
        assert every_row(engine) == before
        # 0005 adds the feedback senders: every row stays, the old events with NULL senders; 0006 a table.
        assert migrate(empty_url) == head_revision() == "0006"
        assert every_row(engine, without=("api_key_id", "sender_trust")) == before
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
            senders = connection.execute(select(FeedbackEvent.api_key_id, FeedbackEvent.sender_trust))
            assert set(senders) == {(None, None)}

        with engine.begin() as connection:
            after = {"event_id": "e-after", "prediction_id": "p-spam", "kind": "not_spam", "actor": "carol"}
            fresh = put(connection, FeedbackEvent, received_at=AT, **after)
        assert fresh == deleted + 1  # the deleted event's id is not handed out again
        new_kind_rows(engine)
        # the CHECKs that are not about kinds stay
        new = {"model": NEW_KIND, "subject_key": "k", "subject": {}, "created_at": AT}
        assert refused(engine, ConsensusLabel, {**new, "label": 1, "source": "crowd", "provenance": {}})
        item = {"task": "t", "reason": "random", "priority": 0.0, "status": "lost", "n_labels": 0}
        assert refused(engine, LabelingItem, {**new, **item})
        with engine.connect() as connection:
            assert connection.scalar(select(Prediction.model).where(Prediction.id == "p-new")) == NEW_KIND
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_migrating_hands_back_connections_with_foreign_keys_on(empty_url: str) -> None:
    """Migrating turns SQLite's foreign keys off while it rebuilds tables; the connection it used goes back
    to the pool with them on again."""
    migrate(empty_url)
    engine = make_engine(empty_url, pool_size=1, max_overflow=0)
    try:
        migrate(engine)  # at head already: the connection goes back to the pool
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            with pytest.raises(IntegrityError):
                put(
                    connection,
                    FeedbackEvent,
                    event_id="e",
                    prediction_id="nowhere",
                    kind="k",
                    actor="a",
                    received_at=AT,
                )
    finally:
        engine.dispose()
