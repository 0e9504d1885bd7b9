"""The css adapter's options, checked when a source is saved (CLI or API) and when it is read."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import soupsieve

FIELDS = (
    "title", "date", "time", "link", "image", "location", "description", "price", "status",
)  # fmt: skip
LISTING_ONLY = ("item", "next_page", "detail")
DETAIL_DEFAULTS = {"title": "h1", "image": "meta[property='og:image']@content"}

_ATTRIBUTE = re.compile(r"@([A-Za-z_:][-\w:.]*)$")


@dataclass(frozen=True, slots=True)
class Selector:
    """Where a field is: `css` (None for the item itself) and the attribute to read, if any."""

    css: str | None
    attribute: str | None
    written: str


@dataclass(frozen=True, slots=True)
class Fields:
    selectors: dict[str, Selector]
    date_format: str | None


@dataclass(frozen=True, slots=True)
class CssConfig:
    item: str
    fields: Fields
    next_page: Selector | None
    detail: Fields | None


def validate_config(config: object) -> None:
    """Raise ValueError naming the key that is missing or wrong."""
    read_config(config)


def read_config(config: object) -> CssConfig:
    if not isinstance(config, Mapping):
        raise ValueError("css config must be a mapping of field names to CSS selectors")
    _no_unknown_keys(config, (*FIELDS, *LISTING_ONLY, "date_format"), "")
    detail = _detail(config.get("detail"))
    required = ("item", "title") if detail is not None else ("item", "title", "date")
    for key in required:
        if not config.get(key):
            raise ValueError(f"css config: {key!r} is missing (the selector of {_MEANING[key]})")
    item = _selector("item", config["item"])
    if item.attribute or item.css is None:
        raise ValueError("css config: 'item' must be a plain CSS selector, without '@attribute'")
    next_page = _selector("next_page", config["next_page"]) if config.get("next_page") else None
    return CssConfig(item.css, _fields(config, ""), next_page, detail)


def _detail(value: object) -> Fields | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValueError("css config: 'detail' must be a mapping of field names to CSS selectors")
    _no_unknown_keys(value, (*FIELDS, "date_format"), "detail.")
    if not value.get("date"):
        raise ValueError("css config: 'detail.date' is missing (the selector of the event's date)")
    return _fields({**DETAIL_DEFAULTS, **value}, "detail.")


def _fields(config: Mapping[str, Any], prefix: str) -> Fields:
    selectors = {
        name: _selector(prefix + name, config[name]) for name in FIELDS if config.get(name)
    }
    date_format = config.get("date_format")
    if date_format is not None and (not isinstance(date_format, str) or "%" not in date_format):
        raise ValueError(
            f"css config: '{prefix}date_format' must be a strptime format such as '%B %d, %Y'"
        )
    return Fields(selectors, date_format or None)


def _selector(key: str, value: object) -> Selector:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"css config: {key!r} must be a CSS selector (text)")
    written = value.strip()
    attribute = _ATTRIBUTE.search(written)
    css = written[: attribute.start()].strip() if attribute else written
    if css:
        try:
            soupsieve.compile(css)
        except soupsieve.SelectorSyntaxError as exc:
            reason = str(exc).splitlines()[0]
            raise ValueError(f"css config: {key!r} is not a CSS selector: {reason}") from None
    return Selector(css or None, attribute.group(1) if attribute else None, written)


def _no_unknown_keys(config: Mapping[Any, Any], known: tuple[str, ...], prefix: str) -> None:
    for key in config:
        if key not in known:
            raise ValueError(
                f"css config: unknown key {prefix}{key!s} (known: {', '.join(sorted(known))})"
            )


_MEANING = {
    "item": "each event on the listing",
    "title": "the event's title",
    "date": "the event's date",
}
