"""The parser on every real file of the shared corpus, against the reference answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from almanac.scrapers.context import ParseContext
from almanac.scrapers.ical.feed import parse
from tests.support.corpus import (
    DEVIATIONS,
    RECOVERED,
    WINDOW,
    ZONE,
    compare,
    corpus_files,
    expected,
    reference,
    seen_in_events,
)

CONTEXT = ParseContext(ZONE, *WINDOW, max_occurrences_per_series=2000)
FILES = corpus_files()


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_occurrences_match_the_reference(path: Path) -> None:
    result = parse(path.read_bytes(), path.name, CONTEXT)
    ours = seen_in_events(result.events)
    if not reference(path)["parse_ok"]:
        assert len(ours) == RECOVERED.get(path.name, 0), DEVIATIONS.get(path.name)
        if path.name != "non_dst_error.ics":
            assert result.problems, "a file the reference cannot read must say why"
        return
    theirs, truncated = expected(path)
    only_ours, only_theirs = compare(ours, theirs, truncated, DEVIATIONS.get(path.name))
    assert (only_ours[:5], only_theirs[:5]) == ([], []), DEVIATIONS.get(path.name)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_direct_reading_of_plain_events_agrees_with_the_library(path: Path) -> None:
    body = path.read_bytes()
    direct = sorted(parse(body, path.name, CONTEXT).events, key=lambda e: e.external_id)
    general = sorted(
        parse(body, path.name, CONTEXT, simple=False).events, key=lambda e: e.external_id
    )
    assert direct == general


def test_a_feed_in_iso_8859_1_keeps_its_accents() -> None:
    latin1 = CORPUS_ICS_DIR / "basic_latin1.ics"
    titles = {e.title for e in parse(latin1.read_bytes(), latin1.name, CONTEXT).events}
    assert "graue Restmülltonne" in titles
    assert not any("\ufffd" in title for title in titles)


def test_files_the_reference_cannot_read_keep_their_good_events() -> None:
    late_error = CORPUS_ICS_DIR / "large-file-with-late-error.ics"
    result = parse(late_error.read_bytes(), late_error.name, CONTEXT)
    assert len(seen_in_events(result.events)) == 394
    assert any("cannot be read" in p.reason for p in result.problems)


CORPUS_ICS_DIR = FILES[0].parent if FILES else Path()
