"""schema.org Events in web pages: JSON-LD blocks and microdata.

`parse(body, url, context)` reads every Event (and every subtype: MusicEvent,
TheaterEvent, …) a page describes, wherever it is nested, and on a listing page
the links to follow: event detail pages and the next page of the listing.
"""

from almanac.scrapers.jsonld.page import parse

__all__ = ["parse"]
