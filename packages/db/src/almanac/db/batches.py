"""Cutting long inputs into batches, so a large feed is written with bounded memory."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

ROWS_PER_STATEMENT = 1000


def chunked(items: Iterable[T], size: int = ROWS_PER_STATEMENT) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def weighed_batches(
    items: Iterable[T], weight: Callable[[T], int], *, max_items: int, max_weight: int
) -> Iterator[list[T]]:
    """Batches of at most `max_items` whose weights add up to about `max_weight` at most.

    An item heavier than `max_weight` still gets a batch of its own.
    """
    batch: list[T] = []
    total = 0
    for item in items:
        w = weight(item)
        if batch and (len(batch) == max_items or total + w > max_weight):
            yield batch
            batch, total = [], 0
        batch.append(item)
        total += w
    if batch:
        yield batch
