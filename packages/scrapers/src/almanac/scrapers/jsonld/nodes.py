"""Walking schema.org data: types, references by `@id`, and plain values."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

Node = dict[str, Any]

_TYPE_PREFIX = re.compile(r"^.*[/#:]")
EVENT_TYPES_WITHOUT_THE_SUFFIX = {"Festival", "Hackathon"}


def local_name(value: object) -> str:
    """`http://schema.org/MusicEvent`, `schema:MusicEvent` and `MusicEvent` alike."""
    return _TYPE_PREFIX.sub("", str(value).strip())


def types_of(node: Node) -> list[str]:
    value = node.get("@type")
    values = value if isinstance(value, list) else [value]
    return [local_name(v) for v in values if isinstance(v, str) and v.strip()]


def is_event(node: Node) -> bool:
    return any(
        name.endswith("Event") or name in EVENT_TYPES_WITHOUT_THE_SUFFIX for name in types_of(node)
    )


def first(value: object) -> object:
    """The first non-empty value of a list, or the value itself."""
    if isinstance(value, list):
        return next((v for v in value if v not in (None, "", [], {})), None)
    return value


def text(value: object) -> str | None:
    """A literal as text: strings, numbers and `{"@value": …}`; anything else is None."""
    value = first(value)
    if isinstance(value, dict):
        value = value.get("@value")
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        stripped = str(value).strip()
        return stripped or None
    return None


@dataclass(frozen=True, slots=True)
class Found:
    """An Event node and the Event it is nested in, if any."""

    node: Node
    parent: Node | None


class Graph:
    """Every node of a page, so that `{"@id": …}` references can be followed."""

    def __init__(self, roots: list[object]) -> None:
        self.roots = roots
        self._by_id: dict[str, Node] = {}
        for node in _dicts(roots):
            ref = node.get("@id")
            if isinstance(ref, str) and not _is_reference(node):
                self._by_id.setdefault(ref, node)

    def resolve(self, value: object) -> object:
        """The node a bare reference points to; any other value unchanged."""
        if isinstance(value, dict) and _is_reference(value):
            return self._by_id.get(str(value["@id"]), value)
        return value

    def nodes(self, value: object) -> list[Node]:
        """The nodes in a property's value, one or a list, references followed."""
        values = value if isinstance(value, list) else [value]
        resolved = (self.resolve(v) for v in values)
        return [v for v in resolved if isinstance(v, dict)]

    def events(self) -> Iterator[Found]:
        """Every Event node, at any depth, in document order."""
        stack: list[tuple[object, Node | None]] = [(r, None) for r in reversed(self.roots)]
        while stack:
            value, parent = stack.pop()
            if isinstance(value, list):
                stack.extend((v, parent) for v in reversed(value))
            elif isinstance(value, dict):
                if is_event(value) and not _is_reference(value):
                    yield Found(value, parent)
                    parent = value
                stack.extend((v, parent) for v in reversed(list(value.values())))


def _is_reference(node: Node) -> bool:
    return "@id" in node and set(node) <= {"@id", "@type"}


def _dicts(roots: list[object]) -> Iterator[Node]:
    stack: list[object] = list(roots)
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            yield value
            stack.extend(value.values())
