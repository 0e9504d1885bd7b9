"""Stored descriptions (sanitized HTML) as the plain text a calendar's DESCRIPTION holds."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = frozenset(
    {"p", "div", "section", "article", "blockquote", "pre", "table", "tr", "ul", "ol", "dl"}
    | {"h1", "h2", "h3", "h4", "h5", "h6", "hr", "figure", "header", "footer"}
)
_LINE_ITEMS = frozenset({"li", "dt", "dd"})
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n{3,}")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._links: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag in _LINE_ITEMS:
            self.parts.append("\n- " if tag == "li" else "\n")
        elif tag == "a":
            self._links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a" and self._links:
            href = self._links.pop()
            text = self.parts[-1].strip() if self.parts else ""
            if href and href.startswith(("http://", "https://")) and href != text:
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        self.parts.append(data.replace("\n", " "))


def html_to_text(html: str) -> str:
    """The text of `html`, paragraphs apart, list items on lines, links' addresses kept."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(collector.parts).split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
