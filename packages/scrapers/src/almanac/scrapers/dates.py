"""Reading the dates that web pages write, well or badly, in the source's time zone."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import dateparser

EARLIEST_YEAR, LATEST_YEAR = 1900, 2200
_OFFSET_WITHOUT_COLON = re.compile(r"([+-]\d{2})(\d{2})$")
_ODD_SEPARATOR = re.compile(r"^(\d{4})[./](\d{2})[./](\d{2})")


class DateProblem(ValueError):
    """A date a page gives that cannot be read, or is not plausible."""


def read_when(text: str, zone: ZoneInfo) -> datetime | date:
    """A date, or an aware date-time; times without a zone are read in `zone`.

    ISO 8601 is read exactly (with the usual slips: a space for the `T`, an
    offset without its colon, dots or slashes between the date's parts);
    anything else goes to dateparser. Raises `DateProblem` with the reason.
    """
    value = " ".join(text.split())
    if not value:
        raise DateProblem("the date is empty")
    moment = _iso(value) or _free_text(value, zone)
    if moment is None:
        raise DateProblem(f"{text!r} is not a date")
    if isinstance(moment, datetime) and moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise DateProblem(f"{text!r} is not a plausible date")
    return moment


def _iso(value: str) -> datetime | date | None:
    candidate = _ODD_SEPARATOR.sub(r"\1-\2-\3", value).replace(" ", "T", 1)
    candidate = _OFFSET_WITHOUT_COLON.sub(r"\1:\2", candidate)
    if len(candidate) == 10:
        try:
            return date.fromisoformat(candidate)
        except ValueError:
            return None
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        return None


def _free_text(value: str, zone: ZoneInfo) -> datetime | None:
    parsed: datetime | None = dateparser.parse(
        value,
        settings={"TIMEZONE": zone.key, "RETURN_AS_TIMEZONE_AWARE": True},
    )
    if parsed is None:
        return None
    return parsed.astimezone(zone) if parsed.tzinfo else parsed.replace(tzinfo=zone)
