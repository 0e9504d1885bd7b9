"""Sources, venues and events stored straight into the test's database, to be read back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from almanac.db.models import Event, Occurrence, Source, Venue


@dataclass
class StoredEvents:
    """Adds rows the way ingest leaves them; each call flushes, so the API sees them."""

    session: Session

    def source(self, slug: str, name: str | None = None) -> Source:
        source = Source(
            slug=slug,
            name=name or slug.replace("-", " ").title(),
            kind="ical",
            url=f"https://{slug}.example/events.ics",
        )
        self.session.add(source)
        self.session.flush()
        return source

    def venue(self, slug: str, name: str, address: str | None = None) -> Venue:
        venue = Venue(slug=slug, name=name, address=address)
        self.session.add(venue)
        self.session.flush()
        return venue

    def event(
        self,
        source: Source,
        title: str,
        start: datetime,
        *,
        hours: float = 2,
        description: str | None = None,
        venue: Venue | None = None,
        location: str | None = None,
        categories: Sequence[str] = (),
        price: str | None = None,
        url: str | None = None,
        status: str = "scheduled",
        occurrence_status: str = "scheduled",
        all_day: bool = False,
        zone: str = "America/New_York",
        changed_at: datetime | None = None,
    ) -> Occurrence:
        """An event with one occurrence; returns the occurrence."""
        event = Event(
            source_id=source.id,
            external_id=f"{title}-{start.isoformat()}",
            title=title,
            description=description,
            url=url,
            venue_id=venue.id if venue else None,
            location_text=location,
            categories=list(categories),
            price=price,
            status=status,
            content_hash="x",
            schedule_hash="x",
        )
        if changed_at is not None:
            event.updated_at = changed_at
        self.session.add(event)
        self.session.flush()
        occurrence = Occurrence(
            event_id=event.id,
            recurrence_key="single",
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
            all_day=all_day,
            timezone=zone,
            status=occurrence_status,
            content_hash="x",
        )
        if changed_at is not None:
            occurrence.updated_at = changed_at
        self.session.add(occurrence)
        self.session.flush()
        return occurrence
