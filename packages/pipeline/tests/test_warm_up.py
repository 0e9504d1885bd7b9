"""A worker's warm-up before its pool starts."""

from __future__ import annotations

from almanac.core.settings import get_settings
from almanac.pipeline.warm_up import warm_up


def test_warm_up_needs_neither_the_database_nor_redis() -> None:
    """A worker starts while PostgreSQL or Redis are still coming up."""
    nowhere = get_settings().model_copy(
        update={
            "database_url": "postgresql+psycopg://nobody@127.0.0.1:9/none",
            "redis_url": "redis://127.0.0.1:9/0",
        }
    )
    warm_up(nowhere)
