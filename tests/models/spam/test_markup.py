"""html_to_text: what a reader sees, nothing a browser would hide."""

from __future__ import annotations

from models.spam.markup import html_to_text


def test_blocks_become_lines_and_entities_are_unescaped() -> None:
    text = html_to_text("<table><tr><td>Price</td><td>&#36;9&nbsp;only</td></tr></table><p>Call&amp;win</p>")
    assert text.splitlines() == ["Price", "", "$9 only", "", "Call&win"]


def test_unclosed_head_and_title_do_not_hide_the_body() -> None:
    text = html_to_text("<html><head><title>Offer<body>Visible text</body>")
    assert "Visible text" in text
    assert "Offer" not in text


def test_script_and_style_content_is_dropped() -> None:
    text = html_to_text(
        "<script>alert('x')</script><style>.a{}</style>kept<SCRIPT>document.write(1)</SCRIPT>"
    )
    assert text == "kept"


def test_malformed_markup_falls_back_to_regex_stripping() -> None:
    # An unknown marked section makes the stdlib parser raise AssertionError; the text must still come out.
    text = html_to_text("<![foo bar]>Point one<script>x=1</script><b>bold</b>")
    assert "Point one" in text and "bold" in text
    assert "x=1" not in text and "<" not in text
