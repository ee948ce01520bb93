"""Tiny MovieLens fixtures in both on-disk formats, and synthetic interaction data with known structure."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from models.recsys.movielens import GENRES

# (item_id, GroupLens title, release date, genres, RecBole title, RecBole release_year): the awkward rows of
# the real files — the year-less placeholder RecBole spells "unkonwn", a "(V)" tag RecBole took for the year,
# a latin-1 accent, an article moved behind a comma, a parenthesised alternative title.
ITEMS = [
    (1, "Toy Story (1995)", "01-Jan-1995", ["Animation", "Children's", "Comedy"], "Toy Story", "1995"),
    (2, "Usual Suspects, The (1995)", "14-Aug-1995", ["Crime", "Thriller"], "Usual Suspects, The", "1995"),
    (3, "Misérables, Les (1995)", "01-Jan-1995", ["Drama", "Musical"], "Misérables, Les", "1995"),
    (4, "unknown", "", ["unknown"], "unkonwn", "unkonwn"),
    (
        5,
        "Land Before Time III: The Time of the Great Giving (1995) (V)",
        "01-Jan-1995",
        ["Animation", "Children's"],
        "Land Before Time III: The Time of the Great Giving (1995)",
        "V",
    ),
    (6, "Big Blue, The (Grand bleu, Le) (1988)", "01-Jan-1988", ["Adventure", "Romance"],
     "Big Blue, The (Grand bleu, Le)", "1988"),
]  # fmt: skip
USERS = [(1, 24, "M", "technician", "85711"), (2, 53, "F", "other", "00942"), (3, 33, "F", "writer", "T8H1N")]
RATINGS = [  # user, item, rating, timestamp; deliberately not sorted
    (2, 3, 4, 881250949), (1, 1, 5, 874965758), (1, 2, 3, 876893171), (3, 5, 1, 878542960),
    (2, 1, 2, 888888888), (3, 4, 5, 891717742), (1, 6, 4, 875071561),
]  # fmt: skip


def write_recbole(directory: Path, *, inter_lines: list[str] | None = None) -> Path:
    """Write ml-100k.{inter,item,user} in RecBole's atomic format; ``inter_lines`` overrides the data rows."""
    directory.mkdir(parents=True, exist_ok=True)
    rows = inter_lines if inter_lines is not None else [f"{u}\t{i}\t{r}\t{t}" for u, i, r, t in RATINGS]
    (directory / "ml-100k.inter").write_text(
        "user_id:token\titem_id:token\trating:float\ttimestamp:float\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    item_rows = [f"{i}\t{rb_title}\t{rb_year}\t{' '.join(g)}" for i, _, _, g, rb_title, rb_year in ITEMS]
    (directory / "ml-100k.item").write_text(
        "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
        + "\n".join(item_rows)
        + "\n",
        encoding="utf-8",
    )
    user_rows = ["\t".join(map(str, u)) for u in USERS]
    (directory / "ml-100k.user").write_text(
        "user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token\n"
        + "\n".join(user_rows)
        + "\n",
        encoding="utf-8",
    )
    return directory


def write_grouplens_zip(path: Path, *, item_lines: list[str] | None = None) -> Path:
    """Write a GroupLens-style ml-100k.zip: u.data tab-separated; u.item (latin-1), u.user pipe-separated."""
    data = "\n".join(f"{u}\t{i}\t{r}\t{t}" for u, i, r, t in RATINGS) + "\n"
    lines = item_lines
    if lines is None:
        lines = []
        for item_id, title, release, genres, _, _ in ITEMS:
            flags = "|".join("1" if g in genres else "0" for g in GENRES)
            lines.append(f"{item_id}|{title}|{release}||http://us.imdb.com/M/title-exact?x|{flags}")
    users = "\n".join("|".join(map(str, u)) for u in USERS) + "\n"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("ml-100k/u.data", data)
        archive.writestr("ml-100k/u.item", ("\n".join(lines) + "\n").encode("latin-1"))
        archive.writestr("ml-100k/u.user", users)
    return path


@pytest.fixture(autouse=True, scope="module")  # module: it must precede module-scoped model fits
def one_torch_thread() -> Iterator[None]:
    """The models here are tiny: with other jobs on the 2 CI cores, two intra-op threads thrash (a 0.1 s fit
    measured 9 s); one thread is both faster and steadier. Restored afterwards for other test packages."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def recbole_dir(tmp_path: Path) -> Path:
    return write_recbole(tmp_path / "ml-100k")


@pytest.fixture
def grouplens_zip(tmp_path: Path) -> Path:
    return write_grouplens_zip(tmp_path / "ml-100k.zip")


def block_ratings(
    *,
    n_blocks: int = 4,
    users_per_block: int = 30,
    items_per_block: int = 12,
    density: float = 0.6,
    seed: int = 0,
) -> pd.DataFrame:
    """Users in block b rate a random ``density`` share of block b's items, plus one globally popular item.

    Popularity cannot tell blocks apart; any collaborative model that learns the blocks should rank a user's
    unseen in-block items first.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for block in range(n_blocks):
        items = np.arange(items_per_block) + block * items_per_block + 1
        for u in range(users_per_block):
            user = block * users_per_block + u + 1
            chosen = items[rng.random(items_per_block) < density]
            if chosen.size < 3:
                chosen = items[:3]
            for item in [*chosen, 1000]:  # item 1000: everyone's, so it tops the popularity list
                rows.append((user, int(item), 4.0, 0))
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "rating", "timestamp"])
    return frame.astype({"user_id": "int32", "item_id": "int32", "rating": "float32", "timestamp": "int64"})
