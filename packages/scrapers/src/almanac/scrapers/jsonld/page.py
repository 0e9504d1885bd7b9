"""Reading a page: its schema.org Events, what went wrong, and where to go next."""

from __future__ import annotations

import re
from dataclasses import replace

from almanac.core.domain import EventIn, PageRole, ParseProblem, ParseResult
from almanac.scrapers.context import ParseContext
from almanac.scrapers.dates import DateProblem
from almanac.scrapers.jsonld.blocks import read_blocks
from almanac.scrapers.jsonld.document import canonical_url, document_base, html_document
from almanac.scrapers.jsonld.event import Candidate, read_event
from almanac.scrapers.jsonld.identity import merge_copies, with_ids
from almanac.scrapers.jsonld.links import find_links
from almanac.scrapers.jsonld.microdata import read_microdata
from almanac.scrapers.jsonld.nodes import Graph, text
from almanac.scrapers.jsonld.urls import absolute
from almanac.scrapers.text import decode_body

_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)


def parse(body: bytes, url: str, context: ParseContext) -> ParseResult:
    """The Events of the page at `url`; on a listing page, also the links to follow."""
    html = decode_body(body, _declared_charset(body))
    document = html_document(html)
    own_base = document_base(document, url)
    canonical = canonical_url(document, own_base)
    base = canonical or own_base
    result = ParseResult()
    graph = Graph(
        [*read_blocks(document, result.problems), *read_microdata(html, base, result.problems)]
    )
    candidates = merge_copies(_candidates(graph, base, context, result.problems))
    page_url = absolute(url, url, keep_fragment=False)
    own_urls = {u for u in (page_url, canonical) if u}
    if context.page is PageRole.DETAIL:
        candidates = _with_page_url(candidates, canonical or page_url)
        events = with_ids(candidates, listing_urls=set())
    else:
        events = with_ids(candidates, listing_urls=own_urls)
        result.links = find_links(document, html, own_base, own_urls, context.config)
    result.events = [event for event in events if _in_window(event, context)]
    return result


def _candidates(
    graph: Graph, base: str, context: ParseContext, problems: list[ParseProblem]
) -> list[Candidate]:
    candidates = []
    for found in graph.events():
        try:
            candidate = read_event(found, graph, base, context)
        except (DateProblem, ValueError, TypeError, OverflowError) as exc:
            name = text(found.node.get("name")) or text(found.node.get("url")) or "(untitled)"
            problems.append(ParseProblem(f"event {name!r} skipped: {exc}", name))
            continue
        if candidate.end_problem:
            problems.append(ParseProblem(candidate.end_problem, candidate.event.title))
        candidates.append(candidate)
    return candidates


def _with_page_url(candidates: list[Candidate], page_url: str | None) -> list[Candidate]:
    """On an event's own page, the page's URL is the URL of the event, if it gives none.

    Only when one event on the page is not part of another lacks a URL: the
    page is then that event's own, and its id matches the listing's link to it.
    """
    without_url = [c for c in candidates if not c.event.url and not c.nested]
    if len(without_url) != 1:
        return candidates
    own = without_url[0]
    return [replace(c, event=replace(c.event, url=page_url)) if c is own else c for c in candidates]


def _in_window(event: EventIn, context: ParseContext) -> bool:
    occurrence = event.occurrences[0]
    end = occurrence.ends_at or occurrence.starts_at
    return occurrence.starts_at < context.window_end and end >= context.window_start


def _declared_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:4096])
    return match.group(1).decode("ascii") if match else None
