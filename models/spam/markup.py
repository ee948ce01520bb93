"""Reduce an HTML e-mail body to the text a reader would see.

Spam is often HTML-only, so the body a model sees for such a message is its rendered text: tags dropped,
`<script>`/`<style>` contents dropped (never shown to the reader, and full of tokens that would let a model
key on markup boilerplate), entities unescaped, block elements turned into line breaks.
"""

from __future__ import annotations

import html
import logging
import re
from html.parser import HTMLParser

logger = logging.getLogger(__name__)

# Elements whose content is never rendered as text.
# `head` is not listed: spam often never closes it, and hiding it would hide the whole message.
_HIDDEN_TAGS = frozenset({"script", "style", "template", "title"})
# Elements that start a new line when rendered; without the break, words of adjacent cells run together.
_BLOCK_TAGS = frozenset(
    {
        "br",
        "p",
        "div",
        "tr",
        "td",
        "th",
        "li",
        "ul",
        "ol",
        "table",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "blockquote",
        "pre",
        "center",
        "form",
        "body",
        "html",
        "dd",
        "dt",
    }
)
_TAG_RE = re.compile(r"<[^>]*>")
_HIDDEN_BLOCK_RE = re.compile(r"<(script|style)\b.*?(</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_SPACES_RE = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES_RE = re.compile(r"\n\s*\n+")


class _TextCollector(HTMLParser):
    """Collects rendered text; `convert_charrefs=True` makes the parser unescape `&amp;` and friends."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden_depth += 1
        elif tag == "body":
            # A body can't sit inside a script or title; an unclosed `<title>` must not swallow the message.
            self._hidden_depth = 0
            self.chunks.append("\n")
        elif tag in _BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # `<br/>`, `<script src=.../>`: no content, so never enter the hidden state.
        if tag in _BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if self._hidden_depth == 0:
            self.chunks.append(data)


def _tidy(text: str) -> str:
    lines = (_SPACES_RE.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES_RE.sub("\n\n", "\n".join(lines)).strip()


def html_to_text(markup: str) -> str:
    """Return the visible text of an HTML document (tags, scripts and styles removed, entities unescaped)."""
    collector = _TextCollector()
    try:
        collector.feed(markup)
        collector.close()
        text = "".join(collector.chunks)
    except AssertionError:
        # Since Python 3.10 the stdlib parser raises AssertionError on some malformed declarations
        # (an unknown marked section such as `<![foo]>`); fall back to regex stripping, cruder but total.
        logger.debug("html.parser gave up; falling back to regex tag stripping")
        text = html.unescape(_TAG_RE.sub(" ", _HIDDEN_BLOCK_RE.sub(" ", markup)))
    return _tidy(text)
