"""Parse one raw RFC 822 message into the fields the spam models use.

The corpus is 2002-era mail, much of it written by broken spam tools: wrong or invented charsets, bad
base64, HTML-only bodies, missing or absurd Date headers. `parse_message` therefore never raises on bad
input; it returns whatever it could recover, and empty strings / `None` for the rest.
"""

from __future__ import annotations

import email
import email.errors
import email.header
import email.utils
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message
from email.policy import compat32

from models.spam.markup import html_to_text

# Tried in order after the declared charset. latin-1 maps every byte, so the chain always ends in text.
_FALLBACK_CHARSETS = ("utf-8", "cp1252", "latin-1")
# Default plausibility window for dates: mail before 1990 is a broken clock; the upper bound is "tomorrow",
# computed per call, so serving today's mail keeps working.
DEFAULT_EARLIEST_DATE = datetime(1990, 1, 1, tzinfo=UTC)
# Real UTC offsets lie within -12h..+14h; beyond that the offset itself is junk and is ignored.
_MAX_UTC_OFFSET_SECONDS = 14 * 3600
# asctime, as in the mbox envelope line "From sender@example.com  Thu Aug 22 13:17:22 2002" (no timezone).
_ASCTIME_RE = re.compile(r"([A-Z][a-z]{2})\s+([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{1,2}:\d{2}:\d{2})\s+(\d{4})")

DateWindow = tuple[datetime, datetime]


@dataclass(frozen=True)
class ParsedMessage:
    """What the spam models see of one message.

    `subject` is decoded (RFC 2047 encoded words included); `body` is the text/plain parts, or the visible
    text of the HTML parts when there is no plain text; `sender_domain` is the lower-cased domain of From
    ("" if none). `date` is timezone-aware UTC, or None when neither the Date header nor a delivery date
    gave a plausible date. `content_types` lists every leaf part; `n_attachments` counts the non-text or
    attached ones; `body_source` says where the body came from: "plain", "html" or "none".
    """

    subject: str
    body: str
    sender_domain: str
    date: datetime | None
    content_types: tuple[str, ...] = ()
    n_attachments: int = 0
    body_source: str = "none"


def decode_bytes(payload: bytes, declared: str | None = None) -> str:
    """Decode bytes with the declared charset, else utf-8, else cp1252, else latin-1 (which cannot fail)."""
    for charset in (declared, *_FALLBACK_CHARSETS):
        if not charset:
            continue
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeError, ValueError):
            # LookupError: unknown name ("unknown-8bit", "x-user-defined") or a non-text codec ("rot13").
            continue
    return payload.decode("latin-1", errors="replace")  # unreachable: latin-1 decodes any byte string


def _header_text(message: Message, name: str) -> str:
    """Decode a header, including RFC 2047 encoded words ("=?koi8-r?B?...?=") and raw 8-bit bytes."""
    value = message.get(name)
    if value is None:
        return ""
    try:
        chunks = email.header.decode_header(value)
    except (email.errors.HeaderParseError, ValueError, TypeError, LookupError):
        return str(value).strip()
    parts: list[str] = []
    for chunk, charset in chunks:
        if isinstance(chunk, bytes):
            # compat32 hands back raw 8-bit header bytes with charset "unknown-8bit": the fallbacks decide.
            parts.append(decode_bytes(chunk, charset if charset != "unknown-8bit" else None))
        else:
            parts.append(chunk)
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _sender_domain(message: Message) -> str:
    _, address = email.utils.parseaddr(_header_text(message, "From"))
    if "@" not in address:
        return ""
    return address.rsplit("@", 1)[1].strip(" <>.\t").lower()


def _rfc2822_date(text: str) -> datetime | None:
    parsed = email.utils.parsedate_tz(text)
    if parsed is None:
        return None
    year, offset = parsed[0], parsed[9] or 0
    if 100 <= year < 200:
        year += 1900  # "Thu, 22 Aug 0102": 2002-era mailers printed tm_year (years since 1900) as the year
    if abs(offset) > _MAX_UTC_OFFSET_SECONDS:
        offset = 0
    try:
        return datetime(year, *parsed[1:6], tzinfo=UTC) - timedelta(seconds=offset)  # type: ignore[misc]
    except (ValueError, OverflowError):  # "Feb 31", year 0, ...
        return None


def _asctime_date(text: str) -> datetime | None:
    # asctime carries no timezone; these are the collector's clock, read as UTC (off by at most hours).
    match = _ASCTIME_RE.search(text)
    if match is None:
        return None
    try:
        return datetime.strptime(" ".join(match.groups()), "%a %b %d %H:%M:%S %Y").replace(tzinfo=UTC)
    except ValueError:
        return None


def _delivery_dates(message: Message) -> list[datetime | None]:
    """When the message arrived: mbox "From " line, Delivery-Date header, topmost Received header."""
    received = _header_text(message, "Received")
    delivery = _header_text(message, "Delivery-Date")
    return [
        _asctime_date(message.get_unixfrom() or ""),
        _rfc2822_date(delivery) or _asctime_date(delivery),
        _rfc2822_date(received.rsplit(";", 1)[1]) if ";" in received else None,
    ]


def _is_attachment(part: Message) -> bool:
    disposition = str(part.get("Content-Disposition", "")).lower()
    return disposition.startswith("attachment") or part.get_filename() is not None


def _part_text(part: Message) -> str:
    """Transfer-decode (quoted-printable, base64, uuencode) then charset-decode one leaf part."""
    try:
        payload = part.get_payload(decode=True)
    except (ValueError, TypeError, LookupError, AssertionError):
        payload = None
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    try:
        declared = part.get_content_charset()
    except (ValueError, TypeError, LookupError):
        declared = None
    return decode_bytes(payload, declared)


def _extract_body(message: Message) -> tuple[str, str, tuple[str, ...], int]:
    plain: list[str] = []
    markup: list[str] = []
    content_types: list[str] = []
    n_attachments = 0
    for part in message.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        content_types.append(content_type)
        if _is_attachment(part) or part.get_content_maintype() != "text":
            n_attachments += 1
        elif content_type == "text/html":
            markup.append(_part_text(part))
        else:  # text/plain, and text/* we have no better reading for (text/enriched, text/x-vcard, ...)
            plain.append(_part_text(part))
    if any(text.strip() for text in plain):
        return "\n\n".join(plain).strip(), "plain", tuple(content_types), n_attachments
    if markup:
        # Prefer text/plain: in multipart/alternative it is the sender's own text rendering of the HTML.
        return html_to_text("\n".join(markup)), "html", tuple(content_types), n_attachments
    return "", "none", tuple(content_types), n_attachments


def parse_message(raw: bytes | str, *, date_window: DateWindow | None = None) -> ParsedMessage:
    """Parse a raw RFC 822 message (optionally starting with an mbox "From " line); never raises on junk.

    `date_window` is the (earliest, latest) range of plausible dates; a Date header outside it (or missing,
    or unparseable) falls back to the delivery date (mbox "From " line, Delivery-Date, topmost Received),
    then to None. Default: 1990-01-01 .. tomorrow.
    """
    window = date_window or (DEFAULT_EARLIEST_DATE, datetime.now(UTC) + timedelta(days=1))
    data = raw.encode("utf-8", errors="surrogateescape") if isinstance(raw, str) else bytes(raw)
    # compat32 records defects instead of raising, and leaves undecodable header bytes for us to decode.
    message = email.message_from_bytes(data, policy=compat32)
    body, body_source, content_types, n_attachments = _extract_body(message)
    # The sender's Date header first (it is when the mail was written); spammers fake it, so a date outside
    # the window falls back to when the message was delivered.
    candidates = [_rfc2822_date(_header_text(message, "Date")), *_delivery_dates(message)]
    date = next((d for d in candidates if d is not None and window[0] <= d <= window[1]), None)
    return ParsedMessage(
        subject=_header_text(message, "Subject"),
        body=body,
        sender_domain=_sender_domain(message),
        date=date,
        content_types=content_types,
        n_attachments=n_attachments,
        body_source=body_source,
    )
