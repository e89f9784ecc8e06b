"""A real HTTP server on 127.0.0.1 for tests: a route table, request counting, hostile behaviours.

    from localserver import LocalServer, Route, serve

    with LocalServer({"/feed.xml": Route(body=rss, content_type="application/rss+xml"),
                      "/slow": Route(body=b"x" * 100, drip=0.1, chunk_size=1),
                      "/bomb": Route(body=b"\\0" * 50_000_000, gzip=True),
                      "/loop": Route(redirect="/loop"),
                      "/dyn": lambda req: Route(status=429 if req.count == 1 else 200)}) as server:
        server.url("/feed.xml"); server.hits["/feed.xml"]; server.max_in_flight

    with serve(routes) as base_url: ...

A route is a :class:`Route`, ``bytes``/``str`` (a 200 with that body), or a callable taking the
:class:`Request` and returning a :class:`Route`. Unknown paths answer 404. Threaded (one thread per
connection), HTTP/1.1 with keep-alive, a free port, stopped on exit even while bodies are dripping.
"""

from __future__ import annotations

import gzip as gzip_module
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["Route", "Request", "LocalServer", "serve"]


@dataclass
class Route:
    body: bytes | str = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/html; charset=utf-8"
    delay: float = 0.0            # seconds before the status line is sent
    drip: float | None = None     # seconds between chunks of the body (slow server)
    chunk_size: int = 65536
    endless: bool = False         # send the body (or zeros) again and again until the client hangs up
    redirect: str | None = None   # Location header; status 302 unless given
    gzip: bool = False            # gzip the body and say so (Content-Encoding: gzip)
    gzip_cache: bytes | None = field(default=None, repr=False)  # filled on first use: bombs compress once


@dataclass
class Request:
    method: str
    path: str                     # with the query string
    headers: dict[str, str]       # lower-case names
    count: int                    # 1 for the first request to this path, 2 for the next, ...
    at: float                     # time.monotonic() when the request arrived


Handler = Callable[[Request], Route]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


class LocalServer:
    """Context manager running the server; ``base_url``, ``url(path)``, ``hits``, ``requests``,
    ``max_in_flight`` (most requests handled at once) while and after it runs."""

    def __init__(self, routes: dict[str, Route | Handler | bytes | str] | None = None, *, host: str = "127.0.0.1"):
        self.host = host              # any loopback address: 127.0.0.2 is another host to a client
        self.routes: dict[str, Route | Handler | bytes | str] = dict(routes or {})
        self.hits: Counter[str] = Counter()
        self.requests: list[Request] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    def url(self, path: str) -> str:
        return self.base_url + path

    def requests_to(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def __enter__(self) -> LocalServer:
        for route in self.routes.values():  # compress static gzip routes (bombs) before serving
            if isinstance(route, Route) and route.gzip and route.gzip_cache is None:
                route.gzip_cache = gzip_module.compress(_bytes(route.body), compresslevel=9)
        self._httpd = _Server((self.host, 0), _make_handler(self))
        self.base_url = f"http://{self.host}:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._httpd is not None and self._thread is not None
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    # -- request handling ---------------------------------------------------------------------------
    def _resolve(self, handler: BaseHTTPRequestHandler) -> tuple[Request, Route]:
        path = handler.path
        with self._lock:
            self.hits[path] += 1
            req = Request(handler.command, path, {k.lower(): v for k, v in handler.headers.items()},
                          self.hits[path], time.monotonic())
            self.requests.append(req)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        route = self.routes.get(path, self.routes.get(path.split("?", 1)[0]))
        if route is None:
            return req, Route(body=b"not found", status=404, content_type="text/plain")
        if callable(route):
            route = route(req)
        if isinstance(route, (bytes, str)):
            route = Route(body=route)
        return req, route

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        try:
            _, route = self._resolve(handler)
            if route.delay and self._stop.wait(route.delay):
                return
            body = _bytes(route.body)
            status = route.status
            headers = {"Content-Type": route.content_type, **route.headers}
            if route.redirect is not None:
                headers["Location"] = route.redirect
                status = route.status if route.status != 200 else 302
            if route.gzip:
                if route.gzip_cache is None:
                    route.gzip_cache = gzip_module.compress(body, compresslevel=9)
                body = route.gzip_cache
                headers["Content-Encoding"] = "gzip"
            streaming = route.endless or route.drip is not None
            handler.send_response(status)
            for k, v in headers.items():
                handler.send_header(k, v)
            if route.endless:
                handler.send_header("Connection", "close")  # the body ends when the connection does
                handler.close_connection = True
            else:
                handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            if handler.command == "HEAD":
                return
            if not streaming:
                handler.wfile.write(body)
                return
            chunk = route.chunk_size
            piece = body or b"\0" * chunk
            while not self._stop.is_set():
                for i in range(0, len(piece), chunk):
                    handler.wfile.write(piece[i:i + chunk])
                    handler.wfile.flush()
                    if route.drip and self._stop.wait(route.drip):
                        return
                if not route.endless:
                    return
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            handler.close_connection = True  # the client gave up (size cap, deadline): expected
        finally:
            with self._lock:
                self.in_flight -= 1


def _bytes(body: bytes | str) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else body


def _make_handler(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            server._serve(self)

        do_HEAD = do_GET

        def handle(self) -> None:
            try:
                super().handle()
            except (ConnectionResetError, BrokenPipeError):
                pass  # the client dropped a kept-alive connection: normal for a client that gave up

        def log_message(self, format: str, *args: object) -> None:  # keep test output clean
            pass

    return Handler


@contextmanager
def serve(routes: dict[str, Route | Handler | bytes | str] | None = None) -> Iterator[str]:
    """Run a :class:`LocalServer` and yield its base URL (``http://127.0.0.1:PORT``)."""
    with LocalServer(routes) as server:
        yield server.base_url
