"""One scrape per source at a time: the lease on the source's row."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from almanac.core.errors import SourceNotFound
from almanac.db.models import Source
from almanac.db.scrape_leases import claim_scrape, dispatch_scrape, release_scrape

HOUR = 3600


def test_a_second_claim_is_told_who_holds_the_source(db_session: Session, source: Source) -> None:
    assert claim_scrape(db_session, source.slug, "task-1", HOUR) is None
    assert claim_scrape(db_session, source.slug, "task-2", HOUR) == "task-1"
    assert claim_scrape(db_session, source.slug, "task-1", HOUR) is None  # a retry renews it


def test_a_released_lease_can_be_taken_again(db_session: Session, source: Source) -> None:
    claim_scrape(db_session, source.slug, "task-1", HOUR)
    release_scrape(db_session, source.slug, "task-2")  # not the holder: nothing happens
    assert claim_scrape(db_session, source.slug, "task-3", HOUR) == "task-1"
    release_scrape(db_session, source.slug, "task-1")
    assert claim_scrape(db_session, source.slug, "task-3", HOUR) is None


def test_an_expired_lease_is_taken_over(db_session: Session, source: Source) -> None:
    claim_scrape(db_session, source.slug, "lost-task", HOUR)
    db_session.execute(text("UPDATE sources SET scrape_lease_until = now() - interval '1 s'"))
    assert claim_scrape(db_session, source.slug, "task-2", HOUR) is None


def test_an_unknown_source_cannot_be_claimed(db_session: Session) -> None:
    with pytest.raises(SourceNotFound):
        claim_scrape(db_session, "nowhere", "task-1", HOUR)


def test_dispatch_sends_once_and_then_names_the_task_sent(
    db_session: Session, source: Source
) -> None:
    sent: list[str] = []
    first = dispatch_scrape(db_session, source.slug, sent.append, HOUR)
    second = dispatch_scrape(db_session, source.slug, sent.append, HOUR)
    assert sent == [first.task_id]
    assert (second.task_id, second.already_running) == (first.task_id, True)


def test_a_send_that_fails_leaves_the_source_free(db_session: Session, source: Source) -> None:
    def broken(_: str) -> None:
        raise ConnectionError("the broker is away")

    with pytest.raises(ConnectionError):
        dispatch_scrape(db_session, source.slug, broken, HOUR)
    assert claim_scrape(db_session, source.slug, "task-2", HOUR) is None
