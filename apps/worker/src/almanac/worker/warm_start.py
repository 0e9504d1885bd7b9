"""A worker loads what every scrape uses once, before its pool starts, and its pool
processes share it.

Python's garbage collector writes into every object it examines, so a forked
pool process that collects would copy each memory page it inherited: about
70 MB per process. Objects alive at each fork are frozen first
(`gc.freeze`), which the collector leaves alone, and the pages stay shared.
"""

from __future__ import annotations

import gc
import os
from typing import Any

from celery.signals import worker_init

from almanac.core.settings import get_settings
from almanac.pipeline.warm_up import warm_up


@worker_init.connect
def _warm_up(**_: Any) -> None:
    warm_up(get_settings())
    gc.collect()
    os.register_at_fork(before=gc.freeze)
