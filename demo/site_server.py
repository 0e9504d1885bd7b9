"""The demo site on 127.0.0.1: the files under `demo/site/`, rendered when asked for.

A URL maps to a file by its path: `/a/b.ics` is `site/a/b.ics`; `/a/b` is
`site/a/b.html` or, for a folder, its `index` file. In a folder the query picks
the variant, as the real sites do: `?page=N` (N > 1) is `page-N.*` and
`?ical=1` is `index.ics`.
"""

from __future__ import annotations

import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from demo.templates import render, site_today

SITE = Path(__file__).resolve().parent / "site"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".ics": "text/calendar; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}


def resolve(path: str, query: str, root: Path = SITE) -> Path | None:
    """The file a request asks for, never outside `root`."""
    target = (root / path.strip("/")).resolve()
    if not target.is_relative_to(root):
        return None
    if target.is_file():
        return target
    page = target.with_name(target.name + ".html")
    if target != root and page.is_file():
        return page
    if not target.is_dir():
        return None
    asked = parse_qs(query)
    number = asked.get("page", ["1"])[0]
    if number.isdigit() and int(number) > 1:
        variants = sorted(target.glob(f"page-{int(number)}.*"))
    elif asked.get("ical") == ["1"]:
        variants = [target / "index.ics"]
    else:
        variants = sorted(p for p in target.glob("index.*") if p.suffix != ".ics")
    return next((v for v in variants if v.is_file()), None)


class SiteHandler(BaseHTTPRequestHandler):
    server_version = "AlmanacDemoSite/1.0"

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def _answer(self, with_body: bool) -> None:
        parts = urlsplit(self.path)
        found = resolve(parts.path, parts.query)
        if found is None:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        base = f"http://{self.headers.get('Host', '127.0.0.1')}"
        body = render(found.read_text(encoding="utf-8"), base, site_today()).encode()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", CONTENT_TYPES.get(found.suffix, "text/plain"))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # Almanac's fetch traces say what was asked


class DemoSite:
    """The site served by a thread of this process."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.server = ThreadingHTTPServer((host, port), SiteHandler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> DemoSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
