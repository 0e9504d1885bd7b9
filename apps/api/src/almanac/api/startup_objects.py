"""The objects the API makes as it starts, kept out of the garbage collector's way.

Modules, routes, schemas and SQL metadata live as long as the process. Left
with the rest, every full collection walks all of them again (a pause of a
tenth of a second or more on a small machine, which a reader waiting for
`/events` feels); frozen once the app has started, a full collection walks only
what requests have made since.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from almanac.api.reads import reads_open

_frozen = False


def freeze_startup_objects() -> None:
    """Collect once, then freeze what is left: at most once per process."""
    global _frozen
    if _frozen:
        return
    gc.collect()
    gc.freeze()
    _frozen = True


@asynccontextmanager
async def frozen_after_start(app: FastAPI) -> AsyncIterator[None]:
    """The app's lifespan: its reads engine opened, and its startup objects frozen
    before the first request."""
    async with reads_open(app):
        freeze_startup_objects()
        yield
