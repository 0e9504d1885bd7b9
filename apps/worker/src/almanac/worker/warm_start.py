"""A worker loads what every scrape uses once, before its pool starts."""

from __future__ import annotations

from typing import Any

from celery.signals import worker_init

from almanac.core.settings import get_settings
from almanac.pipeline.warm_up import warm_up


@worker_init.connect
def _warm_up(**_: Any) -> None:
    warm_up(get_settings())
