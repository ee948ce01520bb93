"""parse_message on constructed wire-format messages: MIME, encodings, charsets, dates, junk."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from models.spam.parsing import decode_bytes, parse_message
from tests.models.spam.factories import raw_message

MULTIPART_ALTERNATIVE = """From: Shop <deals@Shop.Example>
Subject: Deals
Date: Mon, 2 Sep 2002 10:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="XYZ"

--XYZ
Content-Type: text/plain; charset=us-ascii

Plain version of the offer.
--XYZ
Content-Type: text/html; charset=us-ascii

<html><body><p>HTML version</p></body></html>
--XYZ--
"""

WITH_ATTACHMENT = """From: bob@example.org
Subject: report
Content-Type: multipart/mixed; boundary="B"

--B
Content-Type: text/plain

See the attached file.
--B
Content-Type: application/octet-stream; name="report.bin"
Content-Disposition: attachment; filename="report.bin"
Content-Transfer-Encoding: base64

c2VjcmV0IGF0dGFjaG1lbnQgdGV4dA==
--B--
"""


def test_multipart_alternative_prefers_plain_part() -> None:
    parsed = parse_message(MULTIPART_ALTERNATIVE.encode())
    assert parsed.body == "Plain version of the offer."
    assert parsed.body_source == "plain"
    assert parsed.content_types == ("text/plain", "text/html")
    assert parsed.sender_domain == "shop.example"


def test_base64_body_is_decoded_with_declared_charset() -> None:
    raw = raw_message(
        "Q2Fmw6kgYXUgbGFpdA==\n",  # base64 of UTF-8 "Café au lait"
        extra_headers=("Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64"),
    )
    assert parse_message(raw).body == "Café au lait"


def test_quoted_printable_body_joins_soft_breaks_and_decodes_bytes() -> None:
    raw = raw_message(
        "Caf=E9 cr=E8me, a long line that was =\nsoft-broken.\n",
        extra_headers=(
            "Content-Type: text/plain; charset=iso-8859-1",
            "Content-Transfer-Encoding: quoted-printable",
        ),
    )
    assert parse_message(raw).body == "Café crème, a long line that was soft-broken."


def test_html_only_body_is_reduced_to_visible_text() -> None:
    html = (
        "<html><head><style>p { color: red }</style><script>var secret = 'tracking';</script></head>"
        "<body><p>Buy&nbsp;now &amp; save</p><br><div>50% off</div><!-- hidden comment --></body></html>"
    )
    parsed = parse_message(raw_message(html, extra_headers=("Content-Type: text/html",)))
    assert parsed.body_source == "html"
    assert "Buy now & save" in parsed.body
    assert "50% off" in parsed.body
    for hidden in ("secret", "tracking", "color", "hidden comment", "<p>"):
        assert hidden not in parsed.body


def test_unknown_charset_falls_back_to_utf8_then_cp1252() -> None:
    utf8 = raw_message("", extra_headers=("Content-Type: text/plain; charset=x-unknown-charset",))
    utf8 += "naïve résumé".encode()
    assert parse_message(utf8).body == "naïve résumé"
    cp1252 = raw_message("", extra_headers=("Content-Type: text/plain; charset=unknown-8bit",))
    cp1252 += "“quoted” €5".encode("cp1252")  # not valid UTF-8: the next fallback decides
    assert parse_message(cp1252).body == "“quoted” €5"


def test_wrongly_declared_charset_falls_back_instead_of_raising() -> None:
    raw = raw_message("", extra_headers=("Content-Type: text/plain; charset=utf-8",)) + b"caf\xe9 \x81"
    body = parse_message(raw).body
    assert body.startswith("caf")  # cp1252 can't map 0x81 either; latin-1 takes every byte
    assert body == b"caf\xe9 \x81".decode("latin-1")


@pytest.mark.parametrize(
    ("payload", "declared", "expected"),
    [
        (b"\xc3\xa9", "utf-8", "é"),
        (b"\xe9", "rot13", "é"),
        (b"\x93hi\x94", None, "“hi”"),
        (b"\x81", "ascii", "\x81"),
    ],
)
def test_decode_bytes_fallback_chain(payload: bytes, declared: str | None, expected: str) -> None:
    assert decode_bytes(payload, declared) == expected


def test_encoded_word_subject_and_sender_domain() -> None:
    raw = raw_message(subject="=?iso-8859-1?Q?Gr=FC=DFe_aus?= Berlin", sender='"Mr. X" <x@Mail.Example.COM.>')
    parsed = parse_message(raw)
    assert parsed.subject == "Grüße aus Berlin"
    assert parsed.sender_domain == "mail.example.com"


def test_date_header_is_converted_to_utc() -> None:
    parsed = parse_message(raw_message(date="Thu, 22 Aug 2002 08:17:21 -0400"))
    assert parsed.date == datetime(2002, 8, 22, 12, 17, 21, tzinfo=UTC)
    assert parsed.date is not None and parsed.date.utcoffset() is not None


def test_missing_date_falls_back_to_envelope_line_then_none() -> None:
    assert parse_message(raw_message(date=None)).date == datetime(2002, 8, 22, 13, 17, 22, tzinfo=UTC)
    assert parse_message(raw_message(date=None, envelope=None)).date is None


def test_unparseable_or_implausible_date_falls_back_to_delivery_date() -> None:
    window = (datetime(2001, 1, 1, tzinfo=UTC), datetime(2003, 3, 1, tzinfo=UTC))
    envelope_date = datetime(2002, 8, 22, 13, 17, 22, tzinfo=UTC)
    for bad in (
        "2002/09/14 Sat 02:29:32 CDT",
        "Mon, 28 Jul 1980 14:01:35",
        "Wed, 07 Oct 2020 23:01:36 -1900",
    ):
        assert parse_message(raw_message(date=bad), date_window=window).date == envelope_date
    # No envelope line: a Received header still tells when the mail arrived.
    received = "Received: from mx by example.com; Fri, 23 Aug 2002 10:00:00 +0000"
    parsed = parse_message(
        raw_message(date="garbage", envelope=None, extra_headers=(received,)), date_window=window
    )
    assert parsed.date == datetime(2002, 8, 23, 10, 0, tzinfo=UTC)


def test_tm_year_bug_year_0102_means_2002() -> None:
    parsed = parse_message(raw_message(date="Thu, 22 Aug 0102 12:07:35 +0800", envelope=None))
    assert parsed.date == datetime(2002, 8, 22, 4, 7, 35, tzinfo=UTC)


def test_attachment_is_counted_but_not_read_as_body() -> None:
    parsed = parse_message(WITH_ATTACHMENT.encode())
    assert parsed.body == "See the attached file."
    assert parsed.n_attachments == 1
    assert "secret" not in parsed.body


@pytest.mark.parametrize(
    "junk",
    [
        b"",
        b"\x00\xff\xfe garbage \x80\x81",
        b"Content-Type: multipart/mixed; boundary=Q\n\n--Q\nContent-Type: text/plain\n\ntruncated",
        b"Content-Transfer-Encoding: base64\nContent-Type: text/plain\n\n!!!not base64###",
        b"Content-Type: text/html\n\n<![foo bar]><p>marked-section junk</p>",
        b"Subject: =?bogus?X?abc?=\nDate: Feb 31 2002\nFrom: <<<@@@>>>\n\nhi",
        b"Content-Type: message/rfc822\n\nSubject: inner\n\ninner body",
    ],
)
def test_junk_never_raises(junk: bytes) -> None:
    parsed = parse_message(junk)
    assert isinstance(parsed.body, str) and isinstance(parsed.subject, str)


def test_random_bytes_never_raise() -> None:
    rng = np.random.default_rng(0)
    header = b"Content-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/html\n\n"
    for _ in range(200):
        noise = rng.integers(0, 256, size=int(rng.integers(0, 400)), dtype=np.uint8).tobytes()
        assert isinstance(parse_message(header + noise).body, str)
        assert isinstance(parse_message(noise).subject, str)


def test_str_input_is_accepted() -> None:
    assert parse_message(raw_message("body text").decode()).body == "body text"
