"""Absolute URLs, without the tracking parameters that change from one visit to the next."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

_TRACKING = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid")


def absolute(href: object, base: str, *, keep_fragment: bool = True) -> str | None:
    """`href` resolved against `base`, if it is an http(s) URL; tracking parameters dropped."""
    if not isinstance(href, str) or not href.strip():
        return None
    try:
        parts = urlsplit(urljoin(base, href.strip()))
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    query = parts.query
    if any(marker in query for marker in _TRACKING):
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, v) for k, v in pairs if not k.lower().startswith(_TRACKING)])
    fragment = parts.fragment if keep_fragment else ""
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, fragment))
