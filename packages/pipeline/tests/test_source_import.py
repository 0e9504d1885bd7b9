"""Saving sources from a sources file or the `almanac` command refuses, as the API
does, a URL that leads into a private network the settings keep closed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from almanac.core.settings import get_settings
from almanac.core.sources import SourceSpec
from almanac.db.models import Source
from almanac.pipeline.sources import SourcesFileError, import_sources

CLOSED = get_settings().model_copy(update={"allow_private_networks": False})


def _spec(slug: str, url: str) -> SourceSpec:
    return SourceSpec(slug=slug, name=slug, kind="ical", url=url)


def _stored(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Source)) or 0


def test_a_source_leading_inside_stops_the_import_and_saves_nothing(
    sessions: sessionmaker[Session],
) -> None:
    specs = [
        _spec("folk-club", "https://folk-club.example/events.ics"),
        _spec("metadata", "http://169.254.169.254/latest/meta-data/"),
    ]
    with pytest.raises(SourcesFileError, match=r"metadata: url: .* is refused: .*169\.254"):
        import_sources(sessions, CLOSED, specs)
    assert _stored(sessions) == 0


def test_a_private_host_the_operator_allowed_is_saved(sessions: sessionmaker[Session]) -> None:
    settings = CLOSED.model_copy(update={"allowed_private_hosts": "127.0.0.1:8080"})
    result = import_sources(sessions, settings, [_spec("intranet", "http://127.0.0.1:8080/a.ics")])
    assert result.created == 1
    with pytest.raises(SourcesFileError, match="intranet2: url"):
        import_sources(sessions, settings, [_spec("intranet2", "http://127.0.0.1:8081/a.ics")])
