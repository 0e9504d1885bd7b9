"""Categories: every one events carry, with how many events carry it."""

from __future__ import annotations

from fastapi import APIRouter

from almanac.api.deps import SessionDep
from almanac.api.schemas import CategoryOut
from almanac.db.venue_queries import category_counts

router = APIRouter(prefix="/categories", tags=["events"])


@router.get("", response_model=list[CategoryOut])
def list_categories(session: SessionDep) -> list[CategoryOut]:
    """Each distinct category, with its number of events (removed ones left out), most first."""
    return [CategoryOut(name=c.name, event_count=c.event_count) for c in category_counts(session)]
