"""A worker loads what every scrape uses once, before its pool starts, and its pool
processes share it.

Python's garbage collector writes into every object it examines, so a forked
pool process that collects would copy each memory page it inherited: about
70 MB per process. What the worker has loaded is frozen before its pool
starts (`gc.freeze`), which the collector then leaves alone, and the pages
stay shared.

billiard has each new pool process declare `prctl` to cffi (when cffi is
loaded), whose C parser takes 0.1 s of CPU to load: loaded here once, every
pool process inherits it.
"""

from __future__ import annotations

import gc
from typing import Any

from celery.signals import worker_init

from almanac.core.settings import get_settings
from almanac.pipeline.warm_up import warm_up
from almanac.worker.celery_app import app


@worker_init.connect
def _warm_up(**_: Any) -> None:
    warm_up(get_settings())
    _ = app.backend  # the result backend is made on first use: once, here, for every process
    _load_the_c_parser()
    # Frozen once, in the main process, which never unfreezes: every pool process
    # it forks, now or as it replaces them, inherits these objects frozen.
    gc.collect()
    gc.freeze()


def _load_the_c_parser() -> None:
    try:
        import cffi
    except ImportError:  # billiard then uses ctypes, which costs nothing to load
        return
    cffi.FFI().cdef("int prctl (int __option, ...);")
