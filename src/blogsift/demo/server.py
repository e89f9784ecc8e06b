"""Serving the demo web on 127.0.0.1: feeds, pages, figures, robots.txt, conditional GET."""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .content import SOURCES
from .site import DISALLOWED_PATH, demo_posts, figure_png, render_feed, render_page, tiny_png

__all__ = ["serve_demo", "DemoServer"]

_VALIDATING = {row[0] for row in SOURCES if row[8]}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class DemoServer:
    """The demo web; ``hits`` counts requests by path and ``not_modified`` the 304 answers."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.not_modified = 0
        self.base_url = ""
        self._lock = threading.Lock()
        self._posts = {p.path: p for p in demo_posts()}

    def respond(self, path: str, headers) -> tuple[int, dict[str, str], bytes]:
        base = self.base_url
        with self._lock:
            self.hits[path] += 1
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, f"User-agent: *\nDisallow: {DISALLOWED_PATH}\n".encode()
        parts = [p for p in path.split("/") if p]
        if path in self._posts:
            post = self._posts[path]
            body = render_page(post, base).encode("utf-8")
            return self._validated(post.source, body, post.published, "text/html; charset=utf-8", headers)
        if len(parts) == 2 and parts[1] == "feed.xml" and parts[0] in {r[0] for r in SOURCES}:
            ctype, xml = render_feed(parts[0], base)
            newest = max((p.published for p in demo_posts() if p.source == parts[0]))
            return self._validated(parts[0], xml.encode("utf-8"), newest, ctype, headers)
        if len(parts) == 3 and parts[1] == "images" and parts[2].endswith(".png"):
            post = self._posts.get(f"/{parts[0]}/posts/{parts[2][:-4]}.html")
            # a post's figure is a drawn diagram; anything else (the author's avatar) a tiny square
            return 200, {"Content-Type": "image/png"}, figure_png(post) if post else tiny_png(parts[2])
        return 404, {"Content-Type": "text/html; charset=utf-8"}, b"<html><body><h1>Not found</h1></body></html>"

    def _validated(self, source: str, body: bytes, modified, ctype: str, headers) -> tuple[int, dict, bytes]:
        if source not in _VALIDATING:
            return 200, {"Content-Type": ctype}, body
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        last_modified = format_datetime(modified, usegmt=True)
        h = {"Content-Type": ctype, "ETag": etag, "Last-Modified": last_modified}
        inm, ims = headers.get("If-None-Match"), headers.get("If-Modified-Since")
        fresh = inm == etag if inm else False
        if not inm and ims:
            try:
                fresh = parsedate_to_datetime(ims) >= modified
            except (TypeError, ValueError):
                fresh = False
        if fresh:
            with self._lock:
                self.not_modified += 1
            return 304, {"ETag": etag, "Last-Modified": last_modified}, b""
        return 200, h, body


@contextmanager
def serve_demo(host: str = "127.0.0.1", port: int = 0, *, server: DemoServer | None = None) -> Iterator[str]:
    """Serve the demo web; yields its base URL. Only loopback addresses are accepted."""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("the demo web is served on loopback only")
    demo = server or DemoServer()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            status, headers, body = demo.respond(self.path.split("?", 1)[0], self.headers)
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = _Server((host, port), Handler)
    demo.base_url = f"http://{host}:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, name="blogsift-demo", daemon=True)
    thread.start()
    try:
        yield demo.base_url
    finally:
        httpd.shutdown()
        httpd.server_close()
