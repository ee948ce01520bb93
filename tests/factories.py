"""Small, hand-made stand-ins for the real corpora, in their original on-disk formats."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path
from typing import Any

SPAM_SUBJECTS = ["Make money fast", "FREE viagra now", "You won a prize", "Cheap loans click here"]
HAM_SUBJECTS = ["Re: build failure on trunk", "Meeting notes", "Patch for the parser", "Lunch on Friday?"]


def raw_message(*, subject: str, body: str, sender: str, date: str | None, index: int) -> str:
    """One RFC 822 message with an mbox envelope line, as the corpus stores it."""
    lines = [f"From {sender}  Tue Aug  6 11:51:02 2002", f"From: {sender}", f"Subject: {subject}"]
    if date:
        lines.append(f"Date: {date}")
    lines += [
        f"Message-Id: <{index}@example.org>",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        body,
        "",
    ]
    return "\n".join(lines)


def apache_spam_corpus(root: Path, *, n_ham: int = 12, n_spam: int = 8, duplicates: int = 1) -> Path:
    """A folder with `easy_ham` and `spam` tarballs in the Apache SpamAssassin layout (with `cmds` files)."""
    root.mkdir(parents=True, exist_ok=True)
    groups = {
        "easy_ham": (n_ham, HAM_SUBJECTS, "colleague@lists.example.org"),
        "spam": (n_spam, SPAM_SUBJECTS, "promo@deals.example.biz"),
    }
    for group, (count, subjects, sender) in groups.items():
        with tarfile.open(root / f"20021010_{group}.tar.bz2", "w:bz2") as tar:
            _add(tar, f"{group}/cmds", "mv 00001.abc 00001.abc\n")
            for i in range(count + (duplicates if group == "spam" else 0)):
                n = i % count  # the extra files repeat earlier messages: content duplicates
                body = f"{subjects[n % len(subjects)]} — message number {n}.\nSee you soon."
                day = 1 + n % 27
                text = raw_message(
                    subject=subjects[n % len(subjects)],
                    body=body,
                    sender=sender,
                    date=f"Mon, {day:02d} Jul 2002 10:00:00 +0000",
                    index=n,
                )
                _add(tar, f"{group}/{i + 1:05d}.{group}{i:027d}", text)
    return root


def _add(tar: tarfile.TarFile, name: str, text: str) -> None:
    data = text.encode()
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def grouplens_zip(path: Path, *, n_users: int = 6, n_items: int = 8) -> Path:
    """A GroupLens-format `ml-100k.zip` with every user rating most items."""
    ratings, items, users = [], [], []
    for u in range(1, n_users + 1):
        users.append(f"{u}|{20 + u}|{'M' if u % 2 else 'F'}|student|0000{u}")
        for i in range(1, n_items + 1):
            if (u + i) % 4:
                ratings.append(f"{u}\t{i}\t{1 + (u * i) % 5}\t{880000000 + u * 100 + i}")
    for i in range(1, n_items + 1):
        flags = "|".join("1" if g == i % 19 else "0" for g in range(19))
        items.append(f"{i}|Movie {i} (199{i % 10})|01-Jan-199{i % 10}||http://example.org/{i}|{flags}")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("ml-100k/u.data", "\n".join(ratings) + "\n")
        zf.writestr("ml-100k/u.item", ("\n".join(items) + "\n").encode("latin-1"))
        zf.writestr("ml-100k/u.user", "\n".join(users) + "\n")
    return path


HAM_WORDS = (
    "meeting patch build release kernel review thanks regards schedule lunch project report draft budget "
    "python linux server config commit branch merge test deploy agenda minutes team notes weekend family"
).split()
SPAM_WORDS = (
    "free money offer click winner prize cash viagra cheap loan credit guaranteed limited casino bonus "
    "unsubscribe discount pills rolex investment profit urgent claim deal lottery million refinance"
).split()
COMMON_WORDS = "the a to and of in for on with this that you we it is are be at your our from".split()


def synthetic_message(label: int, rng: Any, *, n_words: int = 40, crossover: float = 0.2) -> tuple[str, str]:
    """(subject, body) drawn from class vocabularies, with `crossover` of topical words from the other class
    so that the task is learnable but not trivial."""
    own, other = (SPAM_WORDS, HAM_WORDS) if label else (HAM_WORDS, SPAM_WORDS)
    words = []
    for _ in range(n_words):
        r = rng.random()
        pool = COMMON_WORDS if r < 0.4 else (other if r < 0.4 + 0.6 * crossover else own)
        words.append(str(rng.choice(pool)))
    subject = " ".join(str(rng.choice(own)) for _ in range(3)).capitalize()
    return subject, " ".join(words) + f"\nref {int(rng.integers(1_000_000))}"


def synthetic_spam_corpus(root: Path, *, n_ham: int = 300, n_spam: int = 150, seed: int = 0) -> Path:
    """An extracted Apache-layout corpus (`easy_ham/`, `spam/`) of learnable synthetic messages over 2002."""
    import numpy as np

    rng = np.random.default_rng(seed)
    for group, count, label in (("easy_ham", n_ham, 0), ("spam", n_spam, 1)):
        folder = root / group
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(count):
            subject, body = synthetic_message(label, rng)
            day = int(rng.integers(0, 360))
            month, dom = 1 + day // 30, 1 + day % 28
            text = raw_message(
                subject=subject,
                body=body,
                sender=f"user{i}@{group}.example.org",
                date=f"Mon, {dom:02d} {_MONTHS[month - 1]} 2002 10:00:00 +0000",
                index=i,
            )
            (folder / f"{i + 1:05d}.{seed:04d}{i:028x}").write_text(text)
    return root


_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


NEW_SPAM_WORDS = (
    "crypto wallet airdrop token mining blockchain presale whitelist staking yield exchange coin ledger "
    "metaverse nft pump launch moon rocket altcoin swap bridge validator seed phrase recover account"
).split()


def drifting_spam_corpus(
    root: Path, *, n_ham: int = 400, n_spam: int = 200, seed: int = 0, drift_day: int = 180
) -> Path:
    """Like `synthetic_spam_corpus`, but spam sent after `drift_day` (of 2002) is a new campaign: its
    words come from a vocabulary the earlier spam never used, so a filter trained on the first half of the
    year misses much of it, and one retrained on labels of the new spam catches it."""
    import numpy as np

    rng = np.random.default_rng(seed)
    for group, count, label in (("easy_ham", n_ham, 0), ("spam", n_spam, 1)):
        folder = root / group
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(count):
            day = int(rng.integers(0, 336))
            subject, body = synthetic_message(label, rng)
            if label and day >= drift_day:
                words = [
                    str(rng.choice(NEW_SPAM_WORDS if rng.random() < 0.6 else COMMON_WORDS)) for _ in range(40)
                ]
                subject = " ".join(str(rng.choice(NEW_SPAM_WORDS)) for _ in range(3)).capitalize()
                body = " ".join(words) + f"\nref {int(rng.integers(1_000_000))}"
            month, dom = 1 + day // 28, 1 + day % 28
            text = raw_message(
                subject=subject,
                body=body,
                sender=f"user{i}@{group}.example.org",
                date=f"Mon, {dom:02d} {_MONTHS[month - 1]} 2002 10:00:00 +0000",
                index=i,
            )
            (folder / f"{i + 1:05d}.{seed:04d}{i:028x}").write_text(text)
    return root


# The API keys test homes carry (HOME/api-keys.json, as `closedloop keys create` writes it): API test clients
# send CLIENT_KEY unless a test says otherwise.
CLIENT_KEY = "test-client-key"
ADMIN_KEY = "test-admin-key"


def write_api_keys(home: Path, *, untrusted: tuple[str, ...] = ()) -> Path:
    """A key file in `home` with a trusted CLIENT_KEY, ADMIN_KEY and the `untrusted` client keys."""
    import json

    keys = [{"role": "client", "trust": "trusted", "secret": CLIENT_KEY}]
    keys += [{"role": "client", "trust": "untrusted", "secret": secret} for secret in untrusted]
    keys.append({"role": "admin", "trust": "trusted", "secret": ADMIN_KEY})
    home.mkdir(parents=True, exist_ok=True)
    path = home / "api-keys.json"
    path.write_text(json.dumps({"keys": keys}))
    path.chmod(0o600)
    return path
