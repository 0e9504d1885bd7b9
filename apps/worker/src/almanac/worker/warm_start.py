"""A worker loads what every scrape uses once, before its pool starts, and its pool
processes share it.

Python's garbage collector writes into every object it examines, so a forked
pool process that collects would copy each memory page it inherited: about
70 MB per process. Objects alive at each fork are frozen first
(`gc.freeze`), which the collector leaves alone, and the pages stay shared.

billiard has each new pool process declare `prctl` to cffi, whose C parser
takes 0.1 s of CPU to load: loaded here once, every pool process inherits it.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import Any

from celery.signals import worker_init

from almanac.core.settings import get_settings
from almanac.pipeline.warm_up import warm_up
from almanac.worker.celery_app import app


@worker_init.connect
def _warm_up(**_: Any) -> None:
    warm_up(get_settings())
    _ = app.backend  # the result backend is made on first use: once, here, for every process
    gc.collect()
    os.register_at_fork(before=_before_forking)


def _before_forking() -> None:
    _load_the_c_parser()
    gc.freeze()


_c_parser_loaded = False


def _load_the_c_parser() -> None:
    global _c_parser_loaded
    if not _c_parser_loaded and "cffi" in sys.modules:  # billiard uses cffi only if loaded
        import cffi

        cffi.FFI().cdef("int prctl (int __option, ...);")
        _c_parser_loaded = True
