"""How venue names are compared: one key however a source spells the name."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def venue_key(name: str) -> str:
    """The form `venue_aliases.alias` stores: NFKC, case-folded, single spaces, trimmed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", name)).strip().casefold()
