"""Refusing URLs that lead into private networks (SSRF), and showing URLs without
the credentials they may carry."""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Collection
from urllib.parse import urlsplit

from almanac.core.errors import FetchError, FetchRefused
from almanac.core.settings import Settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class PrivateAddressRefused(FetchRefused):
    """The URL's host is, or resolves to, an address Almanac must not reach."""


_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/?#'\"<>]+@")
"""A URL's scheme, then its user and password up to the last `@` of its authority."""


def without_url_credentials(text: str) -> str:
    """`text` with the user and password of every URL in it replaced by `***`."""
    return _CREDENTIALS.sub(r"\1***@", text) if "@" in text else text


def without_credentials(url: str) -> str:
    """`url` with any `user:password@` replaced by `***@`, fit for messages and logs."""
    return without_url_credentials(url)


def _embedded(address: Address) -> Address:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo), or itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address.teredo is not None:
            return address.teredo[1]
    return address


def _forbidden(address: Address) -> bool:
    return any(
        candidate.is_private
        or candidate.is_loopback
        or candidate.is_link_local
        or candidate.is_reserved
        or candidate.is_multicast
        or candidate.is_unspecified
        for candidate in {address, _embedded(address)}
    )


def _allowed(host: str, port: int | None, allowed_hosts: Collection[str]) -> bool:
    """The operator named this host (or this host and port) as reachable though private."""
    host = host.lower()
    return host in allowed_hosts or (port is not None and f"{host}:{port}" in allowed_hosts)


LOOPBACK = ipaddress.ip_address("127.0.0.1")


def _resolve(url: str) -> list[Address] | None:
    """The addresses of the URL's host; None if it cannot be resolved.

    `localhost` and the names under it are loopback whatever the resolver says (RFC 6761).
    """
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return [LOOPBACK]
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return None
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def _operator_allowed(url: str, allowed_hosts: Collection[str]) -> bool:
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise PrivateAddressRefused(f"{without_credentials(url)} has no host", url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return _allowed(host, port, allowed_hosts)


def private_address(url: str, allowed_hosts: Collection[str] = ()) -> Address | None:
    """The private, loopback or link-local address the URL's host resolves to, if any.

    A host that cannot be resolved has none (fetching it fails on its own).
    """
    if _operator_allowed(url, allowed_hosts):
        return None
    return next((a for a in _resolve(url) or [] if _forbidden(a)), None)


def refusal(url: str, address: Address) -> str:
    """Why `url` is refused, naming the address it leads to."""
    return (
        f"{without_credentials(url)} is refused: {urlsplit(url).hostname} resolves to "
        f"{address}, a private, loopback or link-local address "
        "(set ALMANAC_ALLOW_PRIVATE_NETWORKS=true to allow it)"
    )


def check_public(url: str, allowed_hosts: Collection[str] = ()) -> None:
    """Raise `PrivateAddressRefused` unless every address of the URL's host is public
    (or the host is one the operator allowed); `FetchError` if it cannot be resolved."""
    if _operator_allowed(url, allowed_hosts):
        return
    addresses = _resolve(url)
    if addresses is None:
        host = urlsplit(url).hostname
        raise FetchError(f"{without_credentials(url)}: the host {host!r} cannot be resolved", url)
    for address in addresses:
        if _forbidden(address):
            raise PrivateAddressRefused(refusal(url, address), url)


def refuse_private_source(url: str, settings: Settings) -> None:
    """Raise `PrivateAddressRefused` for a source URL that leads where `settings` let no
    fetch go; checked as a source is saved, through the API or the `almanac` command.
    A host that cannot be resolved now passes: its fetch will say so."""
    if settings.allow_private_networks:
        return
    address = private_address(url, settings.allowed_private_host_list)
    if address is not None:
        raise PrivateAddressRefused(refusal(url, address), url)
