"""The fastest the pages can be had: one `httpx.AsyncClient`, many at once, no politeness."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import time
from dataclasses import dataclass

import httpx

CONCURRENCY = 50
"""Requests in flight. More only costs more: httpcore's pool checks every connection
whenever a request starts or ends, so past a few dozen connections it is CPU-bound."""


@dataclass(frozen=True, slots=True)
class BareFetch:
    seconds: float
    bodies: dict[str, bytes]


def bare_fetch(urls: list[str], concurrency: int = CONCURRENCY) -> BareFetch:
    """GET every URL, `concurrency` at a time; raises unless every answer is 200."""
    _remember_no_sniffio()
    return asyncio.run(_fetch_all(urls, concurrency))


def _remember_no_sniffio() -> None:
    """httpcore imports sniffio on every async request; when it is not installed each
    attempt searches the whole path again (milliseconds a request). Recording its
    absence once changes nothing else: the import still fails, at once."""
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


async def _fetch_all(urls: list[str], concurrency: int) -> BareFetch:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    in_flight = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60.0) as client:

        async def get(url: str) -> httpx.Response:
            async with in_flight:
                return await client.get(url)

        started = time.perf_counter()
        responses = await asyncio.gather(*(get(url) for url in urls))
        seconds = time.perf_counter() - started
    failed = [r for r in responses if r.status_code != 200]
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(urls)} pages failed, e.g. {failed[0].url}")
    return BareFetch(seconds, {url: r.content for url, r in zip(urls, responses, strict=True)})
