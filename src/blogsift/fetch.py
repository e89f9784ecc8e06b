"""Polite, bounded HTTP fetching of feeds and post pages (httpx).

Every request goes through the same rules, and each rule fails with an error from ``blogsift.errors``
that carries the URL and the source and says what happened in words a person can act on:

* only ``http``/``https``; the host is resolved and every address checked before connecting
  (``netguard``), on the first request and on every redirect hop;
* robots.txt is read once per origin per run and obeyed for our User-Agent token; a robots.txt that
  is missing (4xx) allows everything, one that fails with a server error (5xx, 429) or cannot be reached
  forbids the whole site for this run, as Google's crawler does;
* per-host concurrency and a delay between requests to one host, plus a global concurrency cap;
* connect and read timeouts, and a total deadline per response (a server dripping a byte a second
  never trips a read timeout);
* a cap on the *decompressed* body, counted while streaming and inflated piece by piece, so a gzip
  bomb or an endless body is cut off at the cap with no more than the cap in memory;
* redirects followed by hand: bounded, loop-detected, each hop re-checked;
* retries with exponential backoff and jitter on 429/5xx/timeouts/connection errors, honouring
  Retry-After; 404/410 and other 4xx are final; a 403/503 from a bot wall is reported as such;
* conditional GET from stored validators: a 304 gives ``not_modified`` and no body.
"""

from __future__ import annotations

import asyncio
import codecs
import email.utils
import hashlib
import random
import re
import zlib
from collections.abc import Iterable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any
from urllib import robotparser

import httpcore
import httpx

from .config import FetchSettings
from .errors import (AddressRefused, BotProtection, FetchError, FetchTimeout, HTTPStatusError, ResponseTooLarge,
                     RobotsDisallowed, TooManyRedirects)
from .netguard import Resolver, check_host, check_scheme, parse_networks

__all__ = ["Fetcher", "FetchResult", "fetch_once", "decode_body", "bot_protection_signature", "inflate_gzip_capped"]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: worth retrying; 501/505 and every other 4xx say the same thing the next time
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: seconds a host's addresses, once checked, are trusted by the check made before each request. The
#: check made on connecting (``_GuardedBackend``) is never cached: it is the one that decides where a
#: connection goes, so a changed DNS answer is still refused; cached, the check before each request no
#: longer costs a resolver call per page (a queue worker fetches dozens a second from one host)
HOST_CHECK_TTL_S = 60.0
#: a server asking for a longer wait than this is not retried this run (it would stall every source)
MAX_RETRY_AFTER_S = 120.0
#: backoff is multiplied by 1..1+JITTER so that many clients do not retry in lockstep
BACKOFF_JITTER = 0.25
#: Google reads the first 500 KiB of a robots.txt and ignores the rest; so do we
ROBOTS_MAX_BYTES = 500 * 1024
#: bytes of an error page read to recognise a bot wall (challenge pages put their markers early)
ERROR_BODY_SNIFF_BYTES = 64 * 1024
#: largest piece inflated at once from a compressed body (bounds memory whatever the ratio)
INFLATE_PIECE_BYTES = 256 * 1024
#: bytes at the start of a document searched for a <meta charset> / <?xml encoding?> (HTML spec: 1024;
#: generous because some pages put long comments or scripts first)
CHARSET_SNIFF_BYTES = 4096
ACCEPT = ("application/atom+xml, application/rss+xml;q=0.95, application/xml;q=0.9, text/xml;q=0.9, "
          "text/html;q=0.8, application/xhtml+xml;q=0.8, */*;q=0.5")

_BOT_HEADERS = ("cf-mitigated", "cf-ray", "x-datadome", "x-sucuri-id", "x-px-block")
_BOT_BODY_MARKERS = (b"just a moment", b"attention required", b"captcha", b"/cdn-cgi/challenge-platform",
                     b"checking your browser", b"ddos-guard", b"px-captcha", b"are you a robot")


# -- decoding ---------------------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9_.:-]{1,40})""", re.I)
_CT_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# Labels whose Python codec is narrower than what browsers decode for that label (WHATWG Encoding):
# pages labelled EUC-KR are really written in its superset CP949, "ISO-8859-1" means windows-1252, etc.
_BROWSER_CODEC = {"euc_kr": "cp949", "latin_1": "cp1252", "iso8859-1": "cp1252", "ascii": "cp1252",
                  "gb2312": "gb18030", "gbk": "gb18030", "shift_jis": "cp932"}


def _codec(label: str | bytes | None, *, declared_in_document: bool = False) -> str | None:
    if not label:
        return None
    if isinstance(label, bytes):
        label = label.decode("ascii", "ignore")
    try:
        name = codecs.lookup(label.strip().lower()).name
    except LookupError:
        return None
    if name == "utf-7":  # a known XSS vector; browsers refuse it too
        return None
    if declared_in_document and name.startswith("utf-16"):
        return "utf-8"  # a byte-oriented document that says utf-16 about itself is wrong (HTML spec)
    return _BROWSER_CODEC.get(name, name)


def decode_body(content: bytes, content_type: str | None = None) -> tuple[str, str, str]:
    """Decode a document: ``(text, codec, how)``.

    Order: byte-order mark, then the HTTP ``charset``, then ``<meta charset>`` / ``<?xml encoding?>``,
    then UTF-8. A declared charset the bytes do not decode under is passed over (a server saying UTF-8
    about an EUC-KR page is common); if nothing decodes cleanly the first usable one is applied with
    replacement characters. ``how`` says which rule won, e.g. ``"meta (http charset utf-8 did not decode)"``.
    """
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):
        if content.startswith(bom):
            return content.decode(codec, "replace"), codec, "bom"
    http = None
    if content_type:
        m = _CT_CHARSET.search(content_type)
        http = _codec(m.group(1)) if m else None
    head = content[:CHARSET_SNIFF_BYTES]
    m = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    meta = _codec(m.group(1), declared_in_document=True) if m else None
    candidates = [(c, how) for c, how in ((http, "http"), (meta, "meta"), ("utf-8", "utf-8 default")) if c]
    # a legacy single-byte charset from the server decodes any bytes into mojibake; a body that is
    # valid UTF-8 with non-ASCII characters is far more likely UTF-8 mislabelled by a server default
    if http in ("cp1252",) and meta in (None, "utf-8") and not content.isascii():
        try:
            return content.decode("utf-8"), "utf-8", "utf-8 (body is valid UTF-8; http said cp1252)"
        except UnicodeDecodeError:
            pass
    failed: list[str] = []
    tried: set[str] = set()
    for codec, how in candidates:
        if codec in tried:
            continue
        tried.add(codec)
        try:
            text = content.decode(codec)
        except UnicodeDecodeError:
            failed.append(f"{how.split()[0]} charset {codec} did not decode")
            continue
        return text, codec, how + (f" ({'; '.join(failed)})" if failed else "")
    codec, how = candidates[0]
    return content.decode(codec, "replace"), codec, f"{how} with replacement characters (invalid bytes)"


# -- results ----------------------------------------------------------------------------------------

@dataclass
class FetchResult:
    """One fetched URL. ``text`` is decoded on first use (see :func:`decode_body`)."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    content: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    content_hash: str | None = None
    redirects: list[str] = field(default_factory=list)
    source: str | None = None
    #: the body hashes the same as the stored ``content_hash`` (a server without validators, unchanged)
    same_content: bool = False

    @cached_property
    def _decoded(self) -> tuple[str, str, str]:
        return decode_body(self.content, self.headers.get("content-type"))

    @property
    def text(self) -> str:
        return self._decoded[0]

    @property
    def encoding(self) -> str:
        return self._decoded[1]

    @property
    def encoding_source(self) -> str:
        return self._decoded[2]


@dataclass
class _Response:
    url: str
    status: int
    reason: str
    headers: dict[str, str]
    content: bytes


def bot_protection_signature(status: int, headers: dict[str, str], body: bytes) -> str | None:
    """What marks this 403/503/429 as a bot wall (a header or challenge text), or None."""
    if status not in (403, 429, 503):
        return None
    for name in _BOT_HEADERS:
        if name in headers and (name != "cf-ray" or status == 403):
            return f"{name} header"
    if "ddos-guard" in headers.get("server", "").lower():
        return "server: ddos-guard"
    lowered = body[:ERROR_BODY_SNIFF_BYTES].lower()
    for marker in _BOT_BODY_MARKERS:
        if marker in lowered:
            return f"page says '{marker.decode()}'"
    return None


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """A Retry-After header (seconds or an HTTP date) as seconds from ``now`` (default: the current time)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _transient(exc: FetchError) -> FetchError:
    exc.transient = True  # type: ignore[attr-defined]  # worth retrying
    return exc


# -- the fetcher ------------------------------------------------------------------------------------

class _CappedInflater:
    """zlib inflation that never produces more than asked for per call (``max_length``)."""

    def __init__(self, wbits: int, *, raw_fallback: bool = False):
        self._z = zlib.decompressobj(wbits)
        self._raw_fallback = raw_fallback  # "deflate" is sometimes raw deflate without a zlib header
        self._started = False

    @classmethod
    def for_encoding(cls, encoding: str) -> _CappedInflater | None:
        if encoding in ("gzip", "x-gzip"):
            return cls(16 + zlib.MAX_WBITS)
        if encoding == "deflate":
            return cls(zlib.MAX_WBITS, raw_fallback=True)
        return None

    @property
    def done(self) -> bool:
        return self._z.eof

    def feed(self, data: bytes, budget: int) -> Iterator[bytes]:
        """Inflate ``data`` in pieces; stops once ``budget`` bytes came out (the caller then stops)."""
        if not self._started and data:
            self._started = True
            if self._raw_fallback:
                try:
                    zlib.decompressobj(zlib.MAX_WBITS).decompress(data[:2])
                except zlib.error:
                    self._z = zlib.decompressobj(-zlib.MAX_WBITS)
        while data and not self._z.eof and budget > 0:
            out = self._z.decompress(data, max(1, min(budget, INFLATE_PIECE_BYTES)))
            data = self._z.unconsumed_tail
            budget -= len(out)
            if out:
                yield out
            elif not data:
                break


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Checks the addresses again at the moment of connecting, and connects to the checked address.

    The check before each request gives the clear error; this one closes the gap in between (a DNS
    answer that changes after the check, "DNS rebinding"). TLS still verifies the host *name*:
    httpcore passes it separately as the server name.
    """

    def __init__(self, inner: httpcore.AsyncNetworkBackend, check: Any):
        self._inner = inner
        self._check = check

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None, socket_options: Any = None) -> Any:
        addresses = await self._check(host, port)
        return await self._inner.connect_tcp(addresses[0], port, timeout=timeout, local_address=local_address,
                                             socket_options=socket_options)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Any = None) -> Any:  # pragma: no cover - never configured
        raise FetchError("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _guard_connections(transport: httpx.AsyncHTTPTransport, check: Any) -> None:
    # httpx does not expose the network backend of its pool; httpx is pinned, and should the attribute
    # ever move, the check made before every request still applies
    pool = getattr(transport, "_pool", None)
    inner = getattr(pool, "_network_backend", None)
    if inner is not None:
        pool._network_backend = _GuardedBackend(inner, check)



class _HostGate:
    """At most ``concurrency`` requests to one host at a time, starts spaced by ``delay`` seconds."""

    def __init__(self, concurrency: int, delay: float):
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._delay = max(0.0, delay)
        self._lock = asyncio.Lock()
        self._next_start = 0.0

    @asynccontextmanager
    async def slot(self):
        async with self._slots:
            if self._delay:
                async with self._lock:
                    loop = asyncio.get_running_loop()
                    wait = self._next_start - loop.time()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    self._next_start = loop.time() + self._delay
            yield


class Fetcher:
    """Fetches URLs under the rules of the module docstring. Use within one event loop; ``aclose()`` after.

    ``transport`` replaces httpx's network transport (failure injection); ``resolver`` replaces
    ``getaddrinfo`` for the address check (``async (host, port) -> [addresses]``).
    """

    def __init__(self, settings: FetchSettings, transport: httpx.AsyncBaseTransport | None = None, *,
                 resolver: Resolver | None = None, host_gate: Any = None):
        self.settings = settings
        self._transport = transport
        self._resolver = resolver
        self._networks = parse_networks(settings.allowed_networks)
        m = re.match(r"[A-Za-z0-9_-]+", settings.user_agent.strip())
        #: the product token robots.txt groups are matched against, e.g. "blogsift"
        self.robots_token = m.group(0) if m else "*"
        self._client: httpx.AsyncClient | None = None
        self._robots: dict[str, robotparser.RobotFileParser | str] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._hosts: dict[str, _HostGate] = {}
        #: (host, port) -> loop time until which its checked addresses are trusted before a request
        self._checked_until: dict[tuple[str, int], float] = {}
        #: ``host -> async context manager`` holding one request slot for that host; the default keeps the
        #: limits within this process, a shared one (``hostlease``) keeps them across worker processes
        self._host_gate = host_gate
        self._total: asyncio.Semaphore | None = None
        #: HTTP requests sent (robots.txt, redirects and retries included)
        self.request_count = 0

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            s = self.settings
            transport = self._transport
            if transport is None:
                transport = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=max(1, s.total_concurrency)))
                _guard_connections(transport, self._connect_check)
            self._client = httpx.AsyncClient(
                transport=transport,
                timeout=httpx.Timeout(connect=s.connect_timeout, read=s.read_timeout, write=s.read_timeout,
                                      pool=s.total_timeout),
                headers={"User-Agent": s.user_agent, "Accept": ACCEPT},
                follow_redirects=False,
                # proxies from the environment would make the address check meaningless
                trust_env=False,
            )
        return self._client

    async def _connect_check(self, host: str, port: int) -> list[str]:
        return await check_host(f"{host}:{port}", host, port, allow_private=self.settings.allow_private_addresses,
                                allowed_networks=self._networks, resolver=self._resolver)

    # -- public API ---------------------------------------------------------------------------------
    async def get(self, url: str, *, source: str | None = None, validators: dict | None = None,
                  max_bytes: int | None = None) -> FetchResult:
        """Fetch ``url`` (following redirects); raises a :class:`FetchError` subclass on failure.
        ``max_bytes`` replaces the size cap of the settings for this URL (a sitemap may be 50 MB)."""
        headers: dict[str, str] = {}
        if validators:
            if validators.get("etag"):
                headers["If-None-Match"] = validators["etag"]
            if validators.get("last_modified"):
                headers["If-Modified-Since"] = validators["last_modified"]
        resp, hops = await self._follow(url, source, headers, max_bytes or self.settings.max_bytes, robots=True)
        h = resp.headers
        if resp.status == 304:
            return FetchResult(url=url, final_url=resp.url, status=304, headers=h, not_modified=True,
                               etag=h.get("etag") or (validators or {}).get("etag"),
                               last_modified=h.get("last-modified") or (validators or {}).get("last_modified"),
                               content_hash=(validators or {}).get("content_hash"), redirects=hops,
                               source=source, same_content=True)
        digest = hashlib.sha256(resp.content).hexdigest()
        return FetchResult(url=url, final_url=resp.url, status=resp.status, headers=h, content=resp.content,
                           etag=h.get("etag"), last_modified=h.get("last-modified"), content_hash=digest,
                           redirects=hops, source=source,
                           same_content=bool(validators) and validators.get("content_hash") == digest)

    async def get_many(self, items: Iterable[str | tuple]) -> list[FetchResult | FetchError]:
        """Fetch many URLs concurrently under the per-host and total limits; results in input order.

        An item is a URL, ``(url, source)`` or ``(url, source, validators)``; a failure is returned as
        its :class:`FetchError` instead of raised, so one bad URL never stops the others.
        """
        async def one(item: str | tuple) -> FetchResult | FetchError:
            url, source, validators = (item, None, None) if isinstance(item, str) else (tuple(item) + (None, None))[:3]
            try:
                return await self.get(url, source=source, validators=validators)
            except FetchError as exc:
                return exc

        return list(await asyncio.gather(*(one(i) for i in items)))

    # -- redirects ----------------------------------------------------------------------------------
    async def _follow(self, url: str, source: str | None, headers: dict[str, str], max_bytes: int,
                      *, robots: bool, truncate: bool = False) -> tuple[_Response, list[str]]:
        current = url.split("#", 1)[0]
        chain = [current]
        while True:
            resp = await self._request_with_retries(current, source, headers, max_bytes, robots=robots,
                                                    truncate=truncate)
            if resp.status not in REDIRECT_STATUSES:
                return resp, chain[1:]
            location = resp.headers.get("location", "").strip()
            if not location:
                raise HTTPStatusError(f"HTTP {resp.status} redirect without a Location header",
                                      status=resp.status, url=current, source=source)
            try:
                target = str(httpx.URL(current).join(location)).split("#", 1)[0]
            except (httpx.InvalidURL, ValueError) as exc:
                raise FetchError(f"redirect to an invalid URL {location[:200]!r}", url=current,
                                 source=source) from exc
            if target in chain:
                loop = " → ".join(chain[chain.index(target):] + [target])
                raise TooManyRedirects(f"redirect loop: {loop}", url=url, source=source)
            if len(chain) > self.settings.max_redirects:
                raise TooManyRedirects(f"more than {self.settings.max_redirects} redirects "
                                       f"({chain[0]} → … → {target})", url=url, source=source)
            chain.append(target)
            current = target

    # -- retries ------------------------------------------------------------------------------------
    def _backoff(self, attempt: int) -> float:
        return self.settings.backoff_base * (2 ** attempt) * (1 + random.uniform(0, BACKOFF_JITTER))

    async def _request_with_retries(self, url: str, source: str | None, headers: dict[str, str],
                                    max_bytes: int, *, robots: bool, truncate: bool) -> _Response:
        attempts = max(0, self.settings.retries) + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                resp = await self._request_once(url, source, headers, max_bytes, robots=robots,
                                                truncate=truncate)
            except FetchError as exc:
                if not getattr(exc, "transient", False) or last:
                    if attempt:
                        exc.args = (f"{exc.args[0]} (after {attempt + 1} attempts)",)
                    raise
                await asyncio.sleep(self._backoff(attempt))
                continue
            status = resp.status
            signature = bot_protection_signature(status, resp.headers, resp.content)
            if signature:
                raise BotProtection(f"HTTP {status} from bot protection ({signature}): the site blocks "
                                    f"automated readers", url=url, source=source)
            if status in RETRY_STATUSES:
                wait = retry_after_seconds(resp.headers.get("retry-after"))
                if wait is not None and wait > MAX_RETRY_AFTER_S:
                    exc = HTTPStatusError(f"HTTP {status} {resp.reason}: the server asks to wait {wait:.0f} s, "
                                          f"more than the {MAX_RETRY_AFTER_S:.0f} s allowed; not retried this run",
                                          status=status, url=url, source=source)
                    exc.retry_after = resp.headers.get("retry-after")  # for a scheduler that can wait
                    raise exc
                if last:
                    exc = HTTPStatusError(f"HTTP {status} {resp.reason} after {attempts} attempt"
                                          f"{'s' if attempts > 1 else ''}", status=status, url=url, source=source)
                    exc.retry_after = resp.headers.get("retry-after")
                    raise exc
                await asyncio.sleep(wait if wait is not None else self._backoff(attempt))
                continue
            if status in (404, 410):
                what = "not found" if status == 404 else "gone"
                raise HTTPStatusError(f"HTTP {status}: {what} (not retried)", status=status, url=url,
                                      source=source)
            if status >= 400 or (300 <= status < 400 and status not in REDIRECT_STATUSES and status != 304):
                raise HTTPStatusError(f"HTTP {status} {resp.reason}", status=status, url=url, source=source)
            return resp
        raise AssertionError("unreachable")  # pragma: no cover

    # -- one request --------------------------------------------------------------------------------
    def _gate(self, host: str) -> _HostGate:
        gate = self._hosts.get(host)
        if gate is None:
            gate = self._hosts[host] = _HostGate(self.settings.per_host_concurrency, self.settings.per_host_delay)
        return gate

    async def _request_once(self, url: str, source: str | None, headers: dict[str, str], max_bytes: int,
                            *, robots: bool, truncate: bool) -> _Response:
        try:
            parts = httpx.URL(url)
        except (httpx.InvalidURL, ValueError, TypeError) as exc:
            raise FetchError(f"invalid URL: {exc}", url=url, source=source) from exc
        check_scheme(url, parts.scheme, source=source)
        host = parts.host
        port = parts.port or (443 if parts.scheme == "https" else 80)
        now = asyncio.get_running_loop().time()
        if self._checked_until.get((host, port), 0.0) < now:
            await check_host(url, host, port, allow_private=self.settings.allow_private_addresses,
                             allowed_networks=self._networks, resolver=self._resolver, source=source)
            self._checked_until[(host, port)] = now + HOST_CHECK_TTL_S
        if robots and self.settings.respect_robots:
            await self._check_robots(url, parts, source)
        s = self.settings
        client = self._http()  # made before taking a slot: building its TLS context takes a while
        if self._total is None:
            self._total = asyncio.Semaphore(max(1, s.total_concurrency))
        gate = self._host_gate(host) if self._host_gate is not None else self._gate(host).slot()
        async with gate, self._total:
            self.request_count += 1
            try:
                async with asyncio.timeout(s.total_timeout):
                    async with client.stream("GET", url, headers=headers) as r:
                        rh = {k.lower(): v for k, v in r.headers.items()}
                        if r.status_code in REDIRECT_STATUSES or r.status_code == 304:
                            body = b""
                        elif r.status_code >= 400:
                            body = await self._read_capped(r, url, source, ERROR_BODY_SNIFF_BYTES, truncate=True)
                        else:
                            body = await self._read_capped(r, url, source, max_bytes, truncate=truncate)
                        return _Response(url, r.status_code, r.reason_phrase, rh, body)
            except AddressRefused as exc:  # from the check made while connecting
                exc.url, exc.source = url, source
                raise
            except TimeoutError as exc:
                raise _transient(FetchTimeout(f"response not complete within the {s.total_timeout:g} s total "
                                              f"deadline (a slow or dripping server)", url=url,
                                              source=source)) from exc
            except httpx.ConnectTimeout as exc:
                raise _transient(FetchTimeout(f"no connection within {s.connect_timeout:g} s", url=url,
                                              source=source)) from exc
            except httpx.TimeoutException as exc:
                raise _transient(FetchTimeout(f"no data for {s.read_timeout:g} s (read timeout)", url=url,
                                              source=source)) from exc
            except httpx.DecodingError as exc:
                raise FetchError(f"response body cannot be decompressed: {exc}", url=url, source=source) from exc
            except httpx.UnsupportedProtocol as exc:
                raise FetchError(f"unsupported URL: {exc}", url=url, source=source) from exc
            except httpx.TransportError as exc:
                raise _transient(FetchError(f"connection failed: {exc or type(exc).__name__}", url=url,
                                            source=source)) from exc
            except httpx.InvalidURL as exc:
                raise FetchError(f"invalid URL: {exc}", url=url, source=source) from exc

    async def _read_capped(self, r: httpx.Response, url: str, source: str | None, limit: int,
                           *, truncate: bool) -> bytes:
        """The decompressed body, stopping at ``limit`` bytes (error, or cut when ``truncate``)."""
        encoding = r.headers.get("content-encoding", "identity").strip().lower()
        declared = r.headers.get("content-length", "")
        if not truncate and declared.isdigit() and int(declared) > limit and encoding == "identity":
            raise ResponseTooLarge(f"response is {int(declared):,} bytes, more than the {limit:,}-byte cap",
                                   url=url, source=source)
        inflater = _CappedInflater.for_encoding(encoding)
        # gzip/deflate are inflated here, never more than the cap: httpx's own decoder inflates each
        # network chunk whole, and one 64 KiB chunk of a gzip bomb is 64 MB. Anything else (identity,
        # or an encoding we did not ask for) goes through httpx and is counted as it comes.
        stream = r.aiter_raw() if inflater else r.aiter_bytes()
        chunks: list[bytes] = []
        total = 0
        try:
            async for raw in stream:
                for chunk in inflater.feed(raw, limit - total + 1) if inflater else (raw,):
                    total += len(chunk)
                    if total > limit:
                        if truncate:
                            chunks.append(chunk[: len(chunk) - (total - limit)])
                            return b"".join(chunks)
                        raise ResponseTooLarge(f"response body exceeds the {limit:,}-byte cap (after "
                                               f"decompression); stopped reading", url=url, source=source)
                    chunks.append(chunk)
                if inflater and inflater.done:
                    break
        except zlib.error as exc:
            raise FetchError(f"response body cannot be decompressed ({encoding}): {exc}", url=url,
                             source=source) from exc
        return b"".join(chunks)

    # -- robots.txt ---------------------------------------------------------------------------------
    async def _check_robots(self, url: str, parts: httpx.URL, source: str | None) -> None:
        origin = f"{parts.scheme}://{parts.netloc.decode('ascii')}"
        rules = self._robots.get(origin)
        if rules is None:
            lock = self._robots_locks.setdefault(origin, asyncio.Lock())
            async with lock:  # one robots.txt request per origin, however many pages wait for it
                rules = self._robots.get(origin)
                if rules is None:
                    rules = self._robots[origin] = await self._load_robots(origin, source)
        if isinstance(rules, str):
            raise RobotsDisallowed(rules, url=url, source=source)
        if not rules.can_fetch(self.robots_token, url):
            raise RobotsDisallowed(f"robots.txt of {origin} disallows this URL for '{self.robots_token}'",
                                   url=url, source=source)

    async def _load_robots(self, origin: str, source: str | None) -> robotparser.RobotFileParser | str:
        """The parsed rules, or the reason (a string) the whole origin is off-limits this run."""
        robots_url = origin + "/robots.txt"
        allow_all = robotparser.RobotFileParser()
        allow_all.parse([])
        try:
            resp, _ = await self._follow(robots_url, source, {}, ROBOTS_MAX_BYTES, robots=False, truncate=True)
        except HTTPStatusError as exc:
            if exc.status >= 500 or exc.status == 429:
                return (f"robots.txt of {origin} answered HTTP {exc.status}; the site is treated as "
                        f"disallowed for this run (as Google does when robots.txt fails with a server error)")
            return allow_all  # 4xx: no robots.txt, everything allowed
        except TooManyRedirects:
            return allow_all  # Google treats a robots.txt redirect chain it gives up on as a 404
        except BotProtection:
            return allow_all  # the page request will meet the same wall and report it
        except AddressRefused:
            raise  # the page itself is refused for the same reason; say that, not "robots"
        except FetchError as exc:
            return (f"robots.txt of {origin} could not be fetched ({exc.args[0]}); the site is treated as "
                    f"disallowed for this run (as Google does when robots.txt is unreachable)")
        rules = robotparser.RobotFileParser(robots_url)
        rules.parse(decode_body(resp.content, resp.headers.get("content-type"))[0].splitlines())
        return rules


def inflate_gzip_capped(data: bytes, limit: int, *, url: str | None = None, source: str | None = None) -> bytes:
    """A gzip file's content (a ``.xml.gz`` sitemap served as is), refusing to inflate past ``limit``
    bytes: a gzip bomb costs no more than the cap."""
    inflater = _CappedInflater(16 + zlib.MAX_WBITS)
    out: list[bytes] = []
    total = 0
    try:
        for piece in inflater.feed(data, limit + 1):
            total += len(piece)
            if total > limit:
                raise ResponseTooLarge(f"gzip content inflates past the {limit:,}-byte cap; stopped",
                                       url=url, source=source)
            out.append(piece)
    except zlib.error as exc:
        raise FetchError(f"gzip content cannot be decompressed: {exc}", url=url, source=source) from exc
    return b"".join(out)


def fetch_once(url: str, settings: FetchSettings, *, source: str | None = None, validators: dict | None = None,
               transport: httpx.AsyncBaseTransport | None = None, resolver: Resolver | None = None) -> FetchResult:
    """Fetch one URL synchronously (for simple callers outside an event loop)."""
    async def run() -> FetchResult:
        async with Fetcher(settings, transport, resolver=resolver) as fetcher:
            return await fetcher.get(url, source=source, validators=validators)

    return asyncio.run(run())
