"""The replay benchmark's three policies on small synthetic streams: real training, real gate, real store and
labeling kernel — metrics per chunk, a frozen policy that never moves, loops that retrain through the gate."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from closedloop import corpora
from closedloop.kinds import kind
from closedloop.kinds.recsys.corpus import MOVIELENS
from closedloop.kinds.spam.corpus import SPAM_ASSASSIN
from closedloop.settings import Settings
from closedloop.store import open_store
from closedloop.store.tables import ConsensusLabel
from replay import run_benchmark
from tests.factories import grouplens_zip, synthetic_spam_corpus


def small(home: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "home": home,
        "replay_base_fraction": 0.3,
        "replay_chunks": 3,
        "replay_feedback_rate": 0.6,
        "replay_annotation_budget": 15,
        "label_trigger_count": 40,
        "gate_n_bootstrap": 200,
        "gate_min_window": 10,
        "labeling_hash_memory_kib": 8192,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


def policies(model: str, settings: Settings) -> set[str]:
    """The benchmark's policies that the kind's replay runs."""
    return set(kind(model).replay(settings).policies)


def test_spam_policies_are_scored_per_chunk_and_only_the_loops_move(tmp_path: Path):
    settings = small(tmp_path / "home")
    corpora.fetch(
        settings, SPAM_ASSASSIN, source=synthetic_spam_corpus(tmp_path / "corpus", n_ham=200, n_spam=100)
    )
    work = tmp_path / "work"
    result = run_benchmark("spam", settings, seed=1, workdir=work)

    assert set(result["policies"]) == policies("spam", settings) and len(result["chunks"]) == 3
    assert sum(result["chunks"]) == result["stream"] > 0
    for policy in result["policies"].values():
        rows = policy["per_chunk"]
        assert [row["chunk"] for row in rows] == [0, 1, 2]
        assert [row["n"] for row in rows] == result["chunks"]
        assert all(0.0 <= row["f1"] <= 1.0 and 0.0 <= row["fpr"] <= 1.0 for row in rows)
        assert sum(row["tp"] + row["fp"] + row["fn"] + row["tn"] for row in rows) == result["stream"]

    frozen = result["policies"]["frozen"]
    assert {row["version"] for row in frozen["per_chunk"]} == {1} and frozen["retrains"] == []
    assert frozen["feedback"] == 0
    for name in ("loop", "loop_noisy"):
        loop = result["policies"][name]
        assert loop["feedback"] > 0 and loop["retrains"], f"{name} never retrained"
        promoted = sum(r["promoted"] for r in loop["retrains"])
        assert loop["final_version"] == 1 + promoted
        versions = [row["version"] for row in loop["per_chunk"]]
        assert versions == sorted(versions) and versions[0] == 1
    assert result["policies"]["loop"]["wrong_feedback"] == 0
    noisy = result["policies"]["loop_noisy"]
    assert noisy["wrong_feedback"] > 0 and noisy["annotated"] > 0
    assert set(result["targets"]) == {
        "loop_minus_frozen_f1_points",
        "loop_fpr",
        "noisy_minus_frozen_f1_points",
        "noisy_fpr",
    }
    # Every decision ran at the stream's time and read nothing newer than itself.
    assert result["no_future_reads"]
    for retrain in (r for p in result["policies"].values() for r in p["retrains"]):
        assert retrain["read_only_past"] and retrain["newest_event_at"] <= retrain["decided_at"]

    # The annotators' answers went through the labeling kernel into consensus labels that outrank feedback.
    store = open_store(f"sqlite:///{work / 'loop_noisy' / 'feedback.db'}")
    with store.session() as session:
        sources = set(session.scalars(select(ConsensusLabel.source)))
    store.close()
    assert {"user_feedback", "annotation"} <= sources


def test_recsys_policies_score_ndcg_per_chunk(tmp_path: Path):
    settings = small(tmp_path / "home", label_trigger_count=15, replay_feedback_rate=1.0)
    corpora.fetch(settings, MOVIELENS, source=grouplens_zip(tmp_path / "ml.zip", n_users=40, n_items=30))
    result = run_benchmark("recsys", settings, seed=0)

    assert set(result["policies"]) == policies("recsys", settings)
    for policy in result["policies"].values():
        assert len(policy["per_chunk"]) == 3
        assert all(0.0 <= row["ndcg@10"] <= 1.0 for row in policy["per_chunk"])
        assert 0.0 <= policy["overall"]["ndcg@10"] <= 1.0
    for name in ("frozen", "foldin"):
        assert {row["version"] for row in result["policies"][name]["per_chunk"]} == {1}
    assert result["policies"]["frozen"]["interactions"] == 0 and not result["policies"]["foldin"]["retrains"]
    for name in ("foldin", "loop", "loop_noisy"):
        assert result["policies"][name]["interactions"] > 0, "every visit's ratings go through the log"
    assert result["policies"]["loop"]["retrains"] and result["no_future_reads"]
    assert set(result["targets"]["ratio_to_frozen"]) == policies("recsys", settings)


def test_unknown_model_is_refused(tmp_path: Path):
    with pytest.raises(ValueError, match="spam or recsys"):
        run_benchmark("images", small(tmp_path / "home"))
