"""A listing page's items, or an event's own page, read with the source's selectors."""

from __future__ import annotations

from bs4 import Tag

from almanac.core.css_config import CssConfig, Fields, read_config
from almanac.core.domain import EventIn, Link, LinkKind, PageRole, ParseProblem, ParseResult
from almanac.core.errors import ParseError
from almanac.scrapers.context import ParseContext
from almanac.scrapers.css import values
from almanac.scrapers.dates import DateProblem
from almanac.scrapers.markup import absolute_url, attribute, html_tree, text_of
from almanac.scrapers.page_dates import read_span
from almanac.scrapers.page_events import build_event, occurrence, status_from

_SNIPPET = 80


def parse(body: bytes, url: str, context: ParseContext) -> ParseResult:
    try:
        config = read_config(context.config)
    except ValueError as exc:
        raise ParseError(str(exc)) from None
    tree = html_tree(body)
    if context.page is PageRole.DETAIL:
        return _detail_page(tree, url, context, config)
    result = ParseResult()
    for item in tree.select(config.item):
        event = _item(item, url, context, config, result)
        if event is not None:
            result.events.append(event)
    next_page = _next_page(tree, url, config)
    if next_page is not None:
        result.links.append(Link(next_page, LinkKind.NEXT_PAGE))
    return result


def _item(
    item: Tag, url: str, context: ParseContext, config: CssConfig, result: ParseResult
) -> EventIn | None:
    fields = config.fields
    title = values.text(item, fields.selectors["title"])
    link = values.link(item, fields.selectors.get("link"), url)
    if config.detail is not None and link is not None:
        if all(known.url != link for known in result.links):
            result.links.append(Link(link, LinkKind.DETAIL))
        if "date" not in fields.selectors:
            return None
        # The detail page gives the date if the listing cannot.
        return _event(item, url, link, context, fields, problems=None)
    if title is None:
        result.problems.append(
            ParseProblem("item skipped, it has no title", link or _snippet(item))
        )
        return None
    if "date" not in fields.selectors:
        result.problems.append(ParseProblem("item skipped, it has no link to its page", title))
        return None
    return _event(item, url, link, context, fields, problems=result.problems)


def _detail_page(tree: Tag, url: str, context: ParseContext, config: CssConfig) -> ParseResult:
    if config.detail is None:
        raise ParseError("this css source has no 'detail' selectors to read an event's page with")
    result = ParseResult()
    event = _event(tree, url, url, context, config.detail, problems=result.problems)
    if event is not None:
        result.events.append(event)
    return result


def _event(
    item: Tag,
    base: str,
    link: str | None,
    context: ParseContext,
    fields: Fields,
    problems: list[ParseProblem] | None,
) -> EventIn | None:
    selectors = fields.selectors
    title = values.text(item, selectors.get("title")) or _page_title(item)
    name = title or link or _snippet(item)
    date_text = values.when(item, selectors.get("date"))
    if date_text is None:
        _report(problems, f"event skipped, no date found at {selectors['date'].written!r}", name)
        return None
    try:
        start, end = read_span(
            date_text, values.when(item, selectors.get("time")), context, fields.date_format
        )
    except DateProblem as exc:
        _report(problems, f"event skipped, its date cannot be read: {exc}", name)
        return None
    status = status_from(title, values.text(item, selectors.get("status")))
    return build_event(
        context,
        title=title,
        occurrences=[occurrence(start, end, context.timezone, status=status)],
        url=link,
        description=values.html(item, selectors.get("description")),
        image_url=values.image(item, selectors.get("image"), base),
        location_text=values.text(item, selectors.get("location")),
        price=values.text(item, selectors.get("price")),
        status=status,
    )


def _next_page(tree: Tag, url: str, config: CssConfig) -> str | None:
    if config.next_page is None:
        return None
    found = values.element(tree, config.next_page)
    href = attribute(found, config.next_page.attribute or "href")
    next_url = absolute_url(url, href)
    return next_url if next_url != url else None


def _page_title(page: Tag) -> str | None:
    """A detail page whose title selector finds nothing still has its `og:title`."""
    return attribute(page.select_one("meta[property='og:title']"), "content")


def _report(problems: list[ParseProblem] | None, reason: str, item: str) -> None:
    if problems is not None:
        problems.append(ParseProblem(reason, item))


def _snippet(item: Tag) -> str:
    return (text_of(item) or "(empty item)")[:_SNIPPET]
