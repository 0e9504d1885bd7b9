"""The `<script type="application/ld+json">` blocks of a page, each read on its own."""

from __future__ import annotations

import json
import re

from bs4 import BeautifulSoup, Tag

from almanac.core.domain import ParseProblem

_WRAPPER = re.compile(r"^\s*(?:<!--|<!\[CDATA\[)|(?:-->|\]\]>)\s*$")


def read_blocks(soup: BeautifulSoup, problems: list[ParseProblem]) -> list[object]:
    """The data of every JSON-LD block; a block that is not JSON costs only itself."""
    found: list[object] = []
    scripts = [s for s in soup.find_all("script") if isinstance(s, Tag) and _is_json_ld(s)]
    for number, script in enumerate(scripts, start=1):
        source = _WRAPPER.sub("", script.get_text())
        if not source.strip():
            continue
        try:
            # strict=False: pages often put raw line breaks inside strings.
            found.append(json.loads(source, strict=False))
        except (ValueError, RecursionError) as exc:
            problems.append(
                ParseProblem(
                    f"JSON-LD block {number} of {len(scripts)} skipped, it is not JSON: {exc}",
                    f"JSON-LD block {number}",
                )
            )
    return found


def _is_json_ld(script: Tag) -> bool:
    kind = script.get("type")
    return isinstance(kind, str) and kind.split(";")[0].strip().lower() == "application/ld+json"
