"""When a page says an event happens: a date text and a time text, ranges included.

Pages split what `dates.read_when` reads whole: "Sat, Dec 5" in one element,
"7:30 PM – 9:30 PM" in another, the year sometimes nowhere. `read_span` puts
them back together in the source's zone. A date written without its year is
taken in the year that puts it at most `YEARLESS_LOOKBACK` before the window
starts, so listings of upcoming events read right in December and January.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from almanac.scrapers.context import ParseContext
from almanac.scrapers.dates import DateProblem, read_when

Moment = date | datetime

YEARLESS_LOOKBACK = timedelta(days=90)

_ISO = re.compile(r"^\s*\d{4}[-./]\d{2}[-./]\d{2}")
_YEAR = re.compile(r"\b(?:19|20|21)\d{2}\b")
_TIME = re.compile(
    r"(?<![\d:])(?P<hour>\d{1,2})(?::(?P<minute>[0-5]\d))?\s*(?P<half>[ap])\.?\s*m\b\.?"
    r"|(?<![\d:])(?P<hour24>[01]?\d|2[0-3]):(?P<minute24>[0-5]\d)(?![\d:])"
    r"|\b(?P<noon>noon)\b",
    re.IGNORECASE,
)
_RANGE = re.compile(r"\s+(?:-|–|—|to|through|thru|until)\s+|\s*[–—]\s*", re.IGNORECASE)
_DAY_ONLY = re.compile(r"^(\d{1,2})(?:\s*,?\s*\d{4})?$")
_DANGLING = re.compile(r"(?:\s*(?:@|\bat\b|\||,|·|-|\bfrom\b))+\s*$", re.IGNORECASE)
_TIME_DIRECTIVES = ("%H", "%I", "%M", "%p", "%X", "%c")


def read_span(
    date_text: str,
    time_text: str | None,
    context: ParseContext,
    date_format: str | None = None,
) -> tuple[Moment, Moment | None]:
    """The start and end (None when unsaid) a page gives; a date alone is an all-day event.

    `date_format` (strptime) reads the whole date text when a site's dates
    confuse the general reading. Raises `DateProblem` with the reason.
    """
    if date_format:
        start: Moment = _with_format(date_text, date_format, context)
        end: Moment | None = None
    else:
        start, end = _date_range(date_text, context)
    clock_start, clock_end = _clock(time_text) if time_text else (None, None)
    zone = context.timezone
    if clock_start is not None:
        start = datetime.combine(_day_of(start), clock_start, zone)
    if clock_end is not None:
        end = datetime.combine(_day_of(end if end is not None else start), clock_end, zone)
    if isinstance(start, datetime) and isinstance(end, datetime) and end < start:
        end += timedelta(days=1)  # a show that ends after midnight
    if end is not None and (type(end) is not type(start) or end < start):
        end = None
    return start, end


def _date_range(text: str, context: ParseContext) -> tuple[Moment, Moment | None]:
    if _ISO.match(text):
        first, second = _split_range(text)
        return read_when(first, context.timezone), (
            read_when(second, context.timezone) if second else None
        )
    years = _YEAR.findall(text)
    year = years[-1] if years else None
    first, second = _split_range(text)
    start = _moment(first, year, context)
    if not second:
        return start, None
    end = _end(second, start, year, context)
    if end is not None and _day_of(end) < _day_of(start) and not _YEAR.search(first):
        start = _replace_year(start, _day_of(start).year - 1) or start  # "Dec 28 – Jan 3, 2027"
    return start, end


def _end(text: str, start: Moment, year: str | None, context: ParseContext) -> Moment | None:
    day_only = _DAY_ONLY.match(text.strip())
    if day_only:
        try:
            end_day = _day_of(start).replace(day=int(day_only.group(1)))
        except ValueError:
            return None
        return end_day if not isinstance(start, datetime) else None
    clock = _first_time(text)
    if clock is not None and not _without_times(text):
        return datetime.combine(_day_of(start), clock, context.timezone)
    return _moment(text, year, context)


def _moment(text: str, year: str | None, context: ParseContext) -> Moment:
    """A date, or a date-time when the text holds a time."""
    clock = _first_time(text)
    day = _day(_without_times(text), year, context)
    return datetime.combine(day, clock, context.timezone) if clock is not None else day


def _day(text: str, year: str | None, context: ParseContext) -> date:
    if not text:
        raise DateProblem("the date is empty")
    written_year = _YEAR.search(text) is not None
    if year is not None and not written_year:
        text = f"{text} {year}"
    value = read_when(text, context.timezone)
    day = value.date() if isinstance(value, datetime) else value
    if year is None and not written_year:
        return _nearest_year(day, context)
    return day


def _nearest_year(day: date, context: ParseContext) -> date:
    earliest = (context.window_start.astimezone(context.timezone) - YEARLESS_LOOKBACK).date()
    for year in (earliest.year, earliest.year + 1):
        candidate = _replace_year(day, year)
        if isinstance(candidate, date) and candidate >= earliest:
            return candidate
    return day


def _with_format(text: str, date_format: str, context: ParseContext) -> Moment:
    try:
        parsed = datetime.strptime(" ".join(text.split()), date_format)  # noqa: DTZ007 - local
    except ValueError:
        raise DateProblem(f"{text!r} does not match date_format {date_format!r}") from None
    day = parsed.date()
    if "%Y" not in date_format and "%y" not in date_format:
        day = _nearest_year(day, context)
    if any(directive in date_format for directive in _TIME_DIRECTIVES):
        return datetime.combine(day, parsed.time(), context.timezone)
    return day


def _clock(text: str) -> tuple[time | None, time | None]:
    """The start and end times of a text like "7:30 – 9:30 PM"; (None, None) for "TBA"."""
    first, second = _split_range(text)
    start_match = _TIME.search(first)
    end_match = _TIME.search(second) if second else None
    start = _as_time(start_match) if start_match else None
    end = _as_time(end_match) if end_match else None
    if (
        start is not None
        and start_match is not None
        and end_match is not None
        and start_match.group("hour24")
        and (end_match.group("half") or "").lower() == "p"
        and start.hour < 12
    ):
        # "7:30 – 9:30 PM": the first time shares the second's half of the day.
        start = start.replace(hour=start.hour + 12)
    return start, end


def _first_time(text: str) -> time | None:
    match = _TIME.search(text)
    return _as_time(match) if match else None


def _as_time(match: re.Match[str]) -> time | None:
    if match.group("noon"):
        return time(12)
    if match.group("hour24"):
        return time(int(match.group("hour24")), int(match.group("minute24")))
    hour, minute = int(match.group("hour")), int(match.group("minute") or 0)
    if not 1 <= hour <= 12:
        return None
    if match.group("half").lower() == "p":
        hour = hour % 12 + 12
    else:
        hour %= 12
    return time(hour, minute)


def _without_times(text: str) -> str:
    stripped = _TIME.sub(" ", text)
    return _DANGLING.sub("", " ".join(stripped.split())).strip()


def _split_range(text: str) -> tuple[str, str | None]:
    parts = _RANGE.split(" ".join(text.split()), maxsplit=1)
    if len(parts) == 1:
        return parts[0], None
    return parts[0].strip(), parts[1].strip() or None


def _day_of(value: Moment) -> date:
    return value.date() if isinstance(value, datetime) else value


def _replace_year(value: Moment, year: int) -> Moment | None:
    try:
        return value.replace(year=year)
    except ValueError:  # February 29th
        return None
