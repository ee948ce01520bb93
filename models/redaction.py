"""PII redaction for texts that are trained on: e-mail addresses and phone numbers become placeholder tokens.

The same function runs on serving inputs, so the model never sees a train/serve difference; the placeholder
keeps the signal ("this message contains a phone number") while dropping the person.
"""

from __future__ import annotations

import re

EMAIL_TOKEN = "<email>"
PHONE_TOKEN = "<phone>"

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# Optional +country code, then groups of digits split by space, dot, dash or parentheses, 9–15 digits in
# all. Requiring a separator-shaped number (not any long digit run) spares order ids, dates and prices.
_PHONE = re.compile(
    r"(?<![\w.])(?:\+\d{1,3}[\s.\-]?)?(?:\(\d{2,4}\)[\s.\-]?|\d{2,4}[\s.\-])\d{3,4}[\s.\-]\d{3,4}(?![\w])"
)


def redact_pii(text: str) -> str:
    """Replace e-mail addresses and phone numbers in `text` with `<email>` and `<phone>`."""
    text = _EMAIL.sub(EMAIL_TOKEN, text)
    return _PHONE.sub(_phone_or_keep, text)


def _phone_or_keep(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    return PHONE_TOKEN if 9 <= digits <= 15 else match.group(0)
