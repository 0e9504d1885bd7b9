"""An Event's `offers` as a price people read: "$25", "£8–£12", "from $35", "Free"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from almanac.scrapers.jsonld.nodes import Graph, Node, text
from almanac.scrapers.jsonld.plain import plain_text

FREE = "Free"
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
_NUMBER = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d{1,9})(?:\.\d{1,4})?$")


@dataclass(frozen=True, slots=True)
class _Price:
    amount: Decimal | None
    currency: str | None
    written: str

    def __str__(self) -> str:
        if self.amount is None:
            return self.written
        if self.amount == 0:
            return FREE
        whole = self.amount == self.amount.to_integral_value()
        number = f"{self.amount:,.0f}" if whole else f"{self.amount:,.2f}"
        symbol = _SYMBOLS.get(self.currency or "")
        if symbol:
            return f"{symbol}{number}"
        return f"{number} {self.currency}" if self.currency else number


def read_price(offers: object, free: object, graph: Graph) -> str | None:
    """The price, or "Free" when the price is 0 or the event says it is free to attend."""
    prices: list[_Price] = []
    open_ended = False
    for offer in _offers(offers, graph):
        currency = text(offer.get("priceCurrency"))
        currency = currency.upper() if currency else None
        if offer.get("price") is not None:
            values = [offer["price"]]
        else:
            values = [offer.get("lowPrice"), offer.get("highPrice")]
            open_ended = open_ended or (values[0] is not None and values[1] is None)
        prices.extend(p for v in values if (p := _price(v, currency)) is not None)
    if not prices:
        return FREE if free is True or text(free) == "true" else None
    numbers = sorted((p for p in prices if p.amount is not None), key=lambda p: p.amount or 0)
    if len(numbers) == len(prices) and len({p.currency for p in numbers}) == 1:
        low, high = str(numbers[0]), str(numbers[-1])
        if low != high:
            return f"{low}–{high}"
        return f"from {low}" if open_ended and low != FREE else low
    written = list(dict.fromkeys(str(p) for p in prices))
    return ("from " if open_ended and len(written) == 1 else "") + " / ".join(written)


def _offers(value: object, graph: Graph) -> list[Node]:
    offers = []
    for offer in graph.nodes(value):
        offers.append(offer)
        offers.extend(graph.nodes(offer.get("priceSpecification")))
    return offers


def _price(value: object, currency: str | None) -> _Price | None:
    written = plain_text(text(value))
    if written is None:
        return None
    amount = Decimal(written.replace(",", "")) if _NUMBER.match(written) else None
    return _Price(amount, currency, written)
