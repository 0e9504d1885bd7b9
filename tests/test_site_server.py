"""The bench's site server: many hosts on one port, kept-alive connections, and a record
of each request that says when it reached the host, however busy the server was."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import date
from pathlib import Path

import httpx

from bench.served_requests import read_served
from bench.site_server import serving_sites

LATENCY = 0.05
STOPPED = 0.4
"""How long the server's process is stopped while a request waits for it."""


def test_each_host_is_a_site_of_its_own_on_one_kept_alive_connection(tmp_path: Path) -> None:
    record = tmp_path / "served.jsonl"
    with serving_sites(3, LATENCY, date(2026, 11, 21), record) as sites, httpx.Client() as client:
        pages = [client.get(f"{sites.origin(n)}/1x2/events") for n in (1, 2, 3)]
        again = client.get(f"{sites.origin(1)}/1x2/events")
    assert [p.status_code for p in pages] == [200, 200, 200]
    assert all(sites.origin(n) in pages[n - 1].text for n in (1, 2, 3))
    assert again.content == pages[0].content
    served = read_served(record)
    assert [(s.host, s.status) for s in served] == [
        (f"127.0.0.{n}:{sites.port}", 200) for n in (1, 2, 3, 1)
    ]
    assert all(s.ended - s.started >= LATENCY - 0.005 for s in served)


def test_a_request_is_recorded_as_it_arrived_though_the_server_was_stopped(
    tmp_path: Path,
) -> None:
    record = tmp_path / "served.jsonl"
    answers: list[httpx.Response] = []
    with serving_sites(1, LATENCY, date(2026, 11, 21), record) as sites:
        url = f"{sites.origin(1)}/1x2/events"
        with httpx.Client() as client:
            client.get(url).raise_for_status()  # connected, so the next request goes straight out
            os.kill(sites.pid, signal.SIGSTOP)
            try:
                sent = time.time()
                asking = threading.Thread(target=lambda: answers.append(client.get(url)))
                asking.start()
                time.sleep(STOPPED)
            finally:
                os.kill(sites.pid, signal.SIGCONT)
            resumed = time.time()
            asking.join(10)
    assert [a.status_code for a in answers] == [200]
    late = read_served(record)[-1]
    assert sent <= late.started < sent + 0.1, "noted when it arrived, not when it was read"
    assert late.ended >= resumed
    assert late.ended - resumed < LATENCY, "answered the latency after arriving, not after"
