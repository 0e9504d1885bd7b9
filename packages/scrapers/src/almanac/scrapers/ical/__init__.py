"""iCalendar feeds: VEVENTs expanded over the window with recurring-ical-events.

`parse(body, url, context)` reads every VCALENDAR in the body. A feed is split
into its components first, so that a broken time zone or event costs only
itself (recorded as a problem) and a large feed is parsed in bounded batches.
"""

from almanac.scrapers.ical.feed import SINGLE, parse, parse_batches

__all__ = ["SINGLE", "parse", "parse_batches"]
