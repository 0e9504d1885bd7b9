"""An Event's `location` as one line of text: a Place, an address, a text or an online place."""

from __future__ import annotations

from dataclasses import dataclass

from almanac.scrapers.jsonld.nodes import Graph, Node, text, types_of
from almanac.scrapers.jsonld.plain import plain_text

_ADDRESS_PARTS = (
    "streetAddress",
    "addressLocality",
    "addressRegion",
    "postalCode",
    "addressCountry",
)


@dataclass(frozen=True, slots=True)
class Location:
    text: str | None
    venue: str | None
    """The first place's name: what tells two events at the same time apart."""


def read_location(value: object, graph: Graph) -> Location:
    values = value if isinstance(value, list) else [value]
    lines: list[str] = []
    venue = None
    for item in values:
        item = graph.resolve(item)
        if isinstance(item, dict):
            name, line = _place(item, graph)
        else:
            name = line = plain_text(text(item))
        if line and line not in lines:
            lines.append(line)
            venue = venue or name
    return Location("; ".join(lines) or None, venue)


def _place(place: Node, graph: Graph) -> tuple[str | None, str | None]:
    name = plain_text(text(place.get("name")))
    if "VirtualLocation" in types_of(place):
        return name, name or "Online"
    parts = _unique([name, *_address(place.get("address"), graph)])
    return name, ", ".join(parts) or None


def _address(value: object, graph: Graph) -> list[str | None]:
    address = graph.resolve(value[0] if isinstance(value, list) and value else value)
    if not isinstance(address, dict):
        return [plain_text(text(address))]
    parts = []
    for key in _ADDRESS_PARTS:
        part = graph.resolve(address.get(key))
        if isinstance(part, dict):
            part = part.get("name")
        parts.append(plain_text(text(part)))
    return parts


def _unique(parts: list[str | None]) -> list[str]:
    seen: dict[str, str] = {}
    for part in parts:
        if part:
            seen.setdefault(part.casefold(), part)
    return list(seen.values())
