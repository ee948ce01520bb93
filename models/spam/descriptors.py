"""Text descriptors of spam-filter inputs: numbers whose distribution shifts when the traffic does.

Monitoring compares them between the champion's training data and the logged predictions. Logged inputs
are the PII-redacted model text (`models.redaction`), so sender addresses read `<email>` and the sender
domain is gone; what is left of "where a message comes from" is the hosts of its links, hence
`novel_domain_share` (links to hosts never seen in the reference) instead of sender-domain novelty.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.redaction import EMAIL_TOKEN

_URL = re.compile(r"(?:https?://|www\.)([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)", re.IGNORECASE)
# The tokenizer of scikit-learn's TfidfVectorizer: words of two or more word characters, case-folded.
_TOKEN = re.compile(r"(?u)\b\w\w+\b")

DESCRIPTORS = (
    "length",
    "url_count",
    "digit_count",
    "uppercase_share",
    "exclamation_count",
    "email_count",
    "unseen_token_share",
    "novel_domain_share",
)


@dataclass(frozen=True)
class TextProfile:
    """What the reference knew: its vocabulary and the link hosts it contained."""

    vocabulary: frozenset[str]
    domains: frozenset[str]


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def url_domains(text: str) -> list[str]:
    """Link hosts in `text`, lower-cased, without a leading `www.`."""
    return [host.lower().removeprefix("www.") for host in _URL.findall(text)]


def text_profile(texts: Iterable[str]) -> TextProfile:
    """The vocabulary and link hosts of reference texts, against which novelty is measured."""
    vocabulary: set[str] = set()
    domains: set[str] = set()
    for text in texts:
        vocabulary.update(tokens(text))
        domains.update(url_domains(text))
    return TextProfile(vocabulary=frozenset(vocabulary), domains=frozenset(domains))


def describe_text(text: str, profile: TextProfile) -> dict[str, float]:
    """The `DESCRIPTORS` of one message; shares are 0 for a message without letters, tokens or links."""
    words = tokens(text)
    hosts = url_domains(text)
    letters = sum(ch.isalpha() for ch in text)
    return {
        "length": float(len(text)),
        "url_count": float(len(hosts)),
        "digit_count": float(sum(ch.isdigit() for ch in text)),
        "uppercase_share": sum(ch.isupper() for ch in text) / letters if letters else 0.0,
        "exclamation_count": float(text.count("!")),
        "email_count": float(text.count(EMAIL_TOKEN)),
        "unseen_token_share": (
            sum(w not in profile.vocabulary for w in words) / len(words) if words else 0.0
        ),
        "novel_domain_share": sum(h not in profile.domains for h in hosts) / len(hosts) if hosts else 0.0,
    }


def describe_texts(texts: Sequence[str], profile: TextProfile) -> pd.DataFrame:
    """(n texts) -> DataFrame (n, len(DESCRIPTORS)) of float descriptors."""
    rows = [describe_text(text, profile) for text in texts]
    return pd.DataFrame(rows, columns=list(DESCRIPTORS), dtype=np.float64)
