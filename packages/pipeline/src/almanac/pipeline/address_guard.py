"""Refusing source URLs that lead into private networks (SSRF)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from almanac.core.errors import FetchError, FetchRefused


class PrivateAddressRefused(FetchRefused):
    """The URL's host is, or resolves to, an address Almanac must not reach."""


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


def check_public(url: str) -> None:
    """Raise `PrivateAddressRefused` unless every address of the URL's host is public."""
    host = urlsplit(url).hostname
    if not host:
        raise PrivateAddressRefused(f"{url} has no host", url)
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"{url}: the host {host!r} cannot be resolved ({exc})", url) from exc
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if _forbidden(address):
            raise PrivateAddressRefused(
                f"{url} is refused: {host} resolves to {address}, a private, loopback or "
                "link-local address (set ALMANAC_ALLOW_PRIVATE_NETWORKS=true to allow it)",
                url,
            )
