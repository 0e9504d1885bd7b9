"""Which URLs lead inside, which the operator let through, and URLs shown without
their passwords."""

from __future__ import annotations

import pytest

from almanac.core.addresses import (
    PrivateAddressRefused,
    check_public,
    private_address,
    without_credentials,
)
from almanac.core.log_context import without_url_credentials


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost./feed.ics",
        "http://calendar.localhost/feed.ics",
        "http://[2002:7f00:1::]/feed.ics",
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/feed.ics",
        "http://0x7f000001/feed.ics",
    ],
)
def test_addresses_that_hide_a_private_one_are_refused(url: str) -> None:
    with pytest.raises(PrivateAddressRefused, match="is refused"):
        check_public(url)


def test_a_host_the_operator_allowed_passes_on_its_port_only() -> None:
    allowed = frozenset({"127.0.0.1:8080", "10.0.0.7"})
    assert private_address("http://127.0.0.1:8080/cal.ics", allowed) is None
    assert private_address("http://10.0.0.7/cal.ics", allowed) is None
    assert str(private_address("http://127.0.0.1:8081/cal.ics", allowed)) == "127.0.0.1"
    assert str(private_address("http://localhost:8080/cal.ics", allowed)) == "127.0.0.1"


def test_a_host_that_cannot_be_resolved_is_not_called_private() -> None:
    assert private_address("https://no-such-host.invalid/feed.ics") is None


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pa55@host.example/a.ics", "https://***@host.example/a.ics"),
        ("https://token@host.example/a.ics", "https://***@host.example/a.ics"),
        ("webcal://u:p@host.example:8443/a", "webcal://***@host.example:8443/a"),
        ("https://host.example/a@b.ics", "https://host.example/a@b.ics"),
        ("http://u:p@[::1/broken", "http://***@[::1/broken"),
        ("https://u:p@ss@host.example/a", "https://***@host.example/a"),
        ("https://host.example?next=a@b", "https://host.example?next=a@b"),
    ],
)
def test_urls_are_shown_without_their_credentials(url: str, shown: str) -> None:
    assert without_credentials(url) == shown


def test_log_lines_lose_the_credentials_of_every_url_in_them() -> None:
    line = 'GET https://u:secret@a.example/x and ftp://me:pw@b.example/ "HTTP/1.1 403"'
    assert without_url_credentials(line) == (
        'GET https://***@a.example/x and ftp://***@b.example/ "HTTP/1.1 403"'
    )
