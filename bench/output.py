"""Figures as JSON lines on stdout; everything a person reads along the way on stderr.

A figure has `name`, `value` and `unit`. With a `baseline` it also has
`ratio` (value / baseline), and its `target` then bounds the ratio; without
one the target bounds the value. `target_of` says which.
"""

from __future__ import annotations

import json
import math
import operator
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
    "==": operator.eq,
}


@dataclass(frozen=True, slots=True)
class Figure:
    name: str
    value: float
    unit: str
    baseline: float | None = None
    target: str | None = None
    note: str | None = None
    events: int | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline is None:
            return None
        return self.value / self.baseline if self.baseline else float("inf")

    @property
    def ok(self) -> bool | None:
        if self.target is None:
            return None
        symbol, bound = self.target.split()
        measured = self.ratio if self.ratio is not None else self.value
        return _COMPARISONS[symbol](measured, float(bound))

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "value": _round(self.value), "unit": self.unit}
        if self.baseline is not None:
            data["baseline"] = _round(self.baseline)
            data["ratio"] = _round(self.ratio or 0.0)
        if self.target is not None:
            data["target"] = self.target
            data["target_of"] = "ratio" if self.baseline is not None else "value"
            data["ok"] = self.ok
        if self.events is not None:
            data["events"] = self.events
        if self.note:
            data["note"] = self.note
        return data


def _round(value: float) -> float | None:
    """Four significant digits; None (JSON null) for what JSON cannot hold."""
    return float(f"{value:.4g}") if math.isfinite(value) else None


def emit(figure: Figure) -> None:
    print(json.dumps(figure.as_dict()), flush=True)


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)
