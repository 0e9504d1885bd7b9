"""The `<script type="application/ld+json">` blocks of a page, each read on its own."""

from __future__ import annotations

import json
import re

from almanac.core.domain import ParseProblem
from almanac.scrapers.jsonld.document import Element

_WRAPPER = re.compile(r"^\s*(?:<!--|<!\[CDATA\[)|(?:-->|\]\]>)\s*$")


def read_blocks(document: Element | None, problems: list[ParseProblem]) -> list[object]:
    """The data of every JSON-LD block; a block that is not JSON costs only itself."""
    if document is None:
        return []
    found: list[object] = []
    scripts = [script for script in document.iter("script") if _is_json_ld(script)]
    for number, script in enumerate(scripts, start=1):
        source = _WRAPPER.sub("", script.text or "")
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


def _is_json_ld(script: Element) -> bool:
    kind = script.get("type")
    return kind is not None and kind.split(";")[0].strip().lower() == "application/ld+json"
