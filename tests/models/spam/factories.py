"""Small constructed spam data: raw RFC 822 messages, corpus layouts on disk, a synthetic text task."""

from __future__ import annotations

import hashlib
import io
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from models.spam.neural import HashedNgramSpamModel

ENVELOPE = "From sender@example.com  Thu Aug 22 13:17:22 2002"

SPAM_WORDS = ("free", "money", "click", "viagra", "offer", "winner", "cash", "prize", "credit", "guaranteed")
HAM_WORDS = (
    "meeting",
    "project",
    "python",
    "kernel",
    "patch",
    "lunch",
    "review",
    "thanks",
    "schedule",
    "build",
)
SyntheticTask = tuple[list[str], np.ndarray, list[str], np.ndarray]

NEUTRAL_WORDS = ("the", "and", "to", "of", "we", "you", "this", "is", "for", "on", "with", "today", "week")


def raw_message(
    body: str = "Hello there.",
    *,
    subject: str | None = "Test subject",
    sender: str | None = "Alice <alice@Example.COM>",
    date: str | None = "Thu, 22 Aug 2002 08:17:21 -0400",
    envelope: str | None = ENVELOPE,
    extra_headers: tuple[str, ...] = (),
) -> bytes:
    """A single-part message as it sits in a corpus file: envelope line, headers, blank line, body."""
    lines = [envelope] if envelope else []
    if sender is not None:
        lines.append(f"From: {sender}")
    if subject is not None:
        lines.append(f"Subject: {subject}")
    if date is not None:
        lines.append(f"Date: {date}")
    lines.extend(extra_headers)
    return ("\n".join(lines) + "\n\n" + body).encode("utf-8", errors="surrogateescape")


def _md5_name(index: int, raw: bytes) -> str:
    return f"{index:05d}.{hashlib.md5(raw).hexdigest()}"


def write_npm_layout(root: Path, groups: dict[str, list[bytes]]) -> Path:
    """`root/package/data/<group>/<NNNNN>.<md5>.txt` plus the .json twins the reader must ignore."""
    data = root / "package" / "data"
    for group, messages in groups.items():
        folder = data / group
        folder.mkdir(parents=True)
        for index, raw in enumerate(messages, start=1):
            name = _md5_name(index, raw)
            (folder / f"{name}.txt").write_bytes(raw)
            (folder / f"{name}.json").write_text('{"not": "a message"}')
    (data / "data.js").write_text("module.exports = {};")
    return root / "package"


def write_apache_tarball(path: Path, folder: str, messages: list[bytes]) -> Path:
    """A `.tar.bz2` holding `<folder>/<NNNNN>.<md5>` files and the `cmds` file the reader must skip."""
    with tarfile.open(path, "w:bz2") as archive:
        members = [(f"{folder}/{_md5_name(i, raw)}", raw) for i, raw in enumerate(messages, start=1)]
        members.append((f"{folder}/cmds", b"mv 00001.abc 00001.def\n"))
        for name, payload in members:
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))
    return path


def synthetic_texts(n: int, *, seed: int, spam_rate: float = 0.4) -> tuple[list[str], np.ndarray]:
    """Texts of neutral filler plus class words (and one word of the other class, so it isn't trivial)."""
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < spam_rate).astype(np.int64)
    texts = []
    for label in labels:
        own, other = (SPAM_WORDS, HAM_WORDS) if label else (HAM_WORDS, SPAM_WORDS)
        words = [*rng.choice(NEUTRAL_WORDS, size=10), *rng.choice(own, size=3), rng.choice(other)]
        rng.shuffle(words)
        texts.append(" ".join(words))
    return texts, labels


def synthetic_corpus(
    n: int, *, seed: int = 0, start: datetime = datetime(2002, 1, 1, tzinfo=UTC)
) -> pd.DataFrame:
    """A corpus frame shaped like `read_corpus` output: one message per hour from `start`."""
    texts, labels = synthetic_texts(n, seed=seed)
    return pd.DataFrame(
        {
            "message_id": [f"{'spam' if y else 'easy_ham'}/{i:05d}" for i, y in enumerate(labels)],
            "group": ["spam" if y else "easy_ham" for y in labels],
            "label": labels.astype("int8"),
            "subject": [f"note {i}" for i in range(n)],
            "body": texts,
            "sender_domain": "example.com",
            "date": pd.to_datetime([start + timedelta(hours=i) for i in range(n)], utc=True),
        }
    )


def small_torch_model(**overrides: object) -> HashedNgramSpamModel:
    """Sized for a 300-text task: well under a second on CPU, still the real architecture and loop."""
    params: dict[str, object] = {
        "n_buckets": 2**12,
        "min_df": 1,
        "embedding_dim": 8,
        "batch_size": 32,
        "max_epochs": 8,
        "patience": 0,
        "lr": 2e-2,
        "device": "cpu",
        "progress": False,
    }
    return HashedNgramSpamModel(**{**params, **overrides})  # type: ignore[arg-type]


def log_odds(p: np.ndarray) -> np.ndarray:
    """Direction tests compare log-odds: a confident model moves little in probability near 0 or 1."""
    return np.log(p) - np.log1p(-p)
