"""Microdata items (`itemscope`/`itemtype`) in the shape JSON-LD gives them."""

from __future__ import annotations

import re
from typing import Any

import lxml.html  # type: ignore[import-untyped]
from extruct.w3cmicrodata import MicrodataExtractor

from almanac.core.domain import ParseProblem
from almanac.scrapers.jsonld.nodes import Node

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def read_microdata(html: str, base_url: str, problems: list[ParseProblem]) -> list[Node]:
    if "itemscope" not in html.lower():
        return []
    try:
        # lxml refuses text that still declares a byte encoding.
        document = lxml.html.document_fromstring(_XML_DECLARATION.sub("", html, count=1))
        items: list[dict[str, Any]] = MicrodataExtractor().extract_items(document, base_url)
    except Exception as exc:  # lxml, html_text and extruct raise many kinds
        problems.append(ParseProblem(f"the page's microdata cannot be read: {exc}", "microdata"))
        return []
    return [_node(item) for item in items]


def _node(item: dict[str, Any]) -> Node:
    kinds = item.get("type", [])
    node: Node = {"@type": kinds if isinstance(kinds, list) else [kinds]}
    if item.get("id"):
        node["@id"] = item["id"]
    for name, value in item.get("properties", {}).items():
        node[name] = _value(value)
    return node


def _value(value: object) -> object:
    if isinstance(value, list):
        return [_value(v) for v in value]
    if isinstance(value, dict):
        return _node(value) if "type" in value or "properties" in value else value
    return value
