"""The fetch rules against real HTTP servers on 127.0.0.1 (no mocked httpx)."""

from __future__ import annotations

import asyncio
import zlib

import httpx
import pytest

from blogsift.config import FetchSettings
from blogsift.errors import (AddressRefused, BotProtection, FetchError, FetchTimeout, HTTPStatusError,
                             ResponseTooLarge, RobotsDisallowed, TooManyRedirects)
from blogsift.fetch import Fetcher, decode_body, fetch_once
from localserver import LocalServer, Route

KOREAN = "한국어 블로그 글입니다. 머신러닝 모델 서빙을 다룹니다. 똠방각하"  # 똠: CP949-only syllable


def fast(**overrides) -> FetchSettings:
    """Settings for tests: loopback allowed, tiny timeouts and backoffs."""
    s = FetchSettings(allow_private_addresses=True, per_host_delay=0.0, retries=1, backoff_base=0.01,
                      connect_timeout=2.0, read_timeout=2.0, total_timeout=5.0, max_bytes=1_000_000)
    for k, v in overrides.items():
        setattr(s, k, v)
    return s


def run(coro):
    return asyncio.run(coro)


async def get(settings: FetchSettings, url: str, **kw):
    async with Fetcher(settings, **{k: kw.pop(k) for k in ("transport", "resolver") if k in kw}) as f:
        return await f.get(url, **kw)


class RecordingTransport(httpx.AsyncBaseTransport):
    """httpx's real transport, noting every host it is asked to connect to."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.hosts: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.hosts.append(request.url.host)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


# -- conditional GET, User-Agent ---------------------------------------------------------------------

def test_second_request_sends_validators_and_gets_304_without_body():
    def feed(req):
        if req.headers.get("if-none-match") == '"v1"':
            return Route(status=304, headers={"ETag": '"v1"'})
        return Route(body=b"<rss/>", headers={"ETag": '"v1"', "Last-Modified": "Mon, 01 Sep 2025 10:00:00 GMT"})

    with LocalServer({"/feed": feed}) as srv:
        first = run(get(fast(), srv.url("/feed")))
        assert (first.status, first.content, first.not_modified) == (200, b"<rss/>", False)
        assert first.etag == '"v1"' and first.last_modified == "Mon, 01 Sep 2025 10:00:00 GMT"
        validators = {"etag": first.etag, "last_modified": first.last_modified, "content_hash": first.content_hash}
        second = run(get(fast(), srv.url("/feed"), validators=validators))
        sent = srv.requests_to("/feed")[-1].headers
    assert sent["if-none-match"] == '"v1"' and sent["if-modified-since"] == "Mon, 01 Sep 2025 10:00:00 GMT"
    assert second.not_modified and second.status == 304 and second.content == b""
    assert second.etag == '"v1"' and second.content_hash == first.content_hash


def test_unchanged_body_without_validators_is_recognised_by_hash():
    with LocalServer({"/feed": b"<rss>same</rss>"}) as srv:
        first = run(get(fast(), srv.url("/feed")))
        again = run(get(fast(), srv.url("/feed"), validators={"content_hash": first.content_hash}))
    assert again.same_content and not again.not_modified and again.content == b"<rss>same</rss>"


def test_user_agent_from_settings_is_sent_with_every_request_robots_included():
    settings = fast(user_agent="blogsift-test/9 (+https://example.org/bot)")
    with LocalServer({"/p": b"ok"}) as srv:
        run(get(settings, srv.url("/p")))
        agents = {r.path: r.headers["user-agent"] for r in srv.requests}
    assert agents == {"/robots.txt": settings.user_agent, "/p": settings.user_agent}


# -- robots.txt -------------------------------------------------------------------------------------

def test_robots_disallow_is_obeyed_for_our_token_and_read_once_per_run():
    robots = "User-agent: *\nDisallow: /\n\nUser-agent: blogsift\nDisallow: /private/\n"
    with LocalServer({"/robots.txt": robots, "/public": b"yes", "/private/x": b"secret"}) as srv:
        async def scenario():
            async with Fetcher(fast()) as f:
                ok = await f.get(srv.url("/public"), source="blog")
                results = await f.get_many([(srv.url("/private/x"), "blog"), (srv.url("/public"), "blog")])
                return ok, results
        ok, (refused, ok2) = run(scenario())
        hits = dict(srv.hits)
    assert ok.content == b"yes" and ok2.content == b"yes"
    assert isinstance(refused, RobotsDisallowed)
    assert refused.source == "blog" and refused.url.endswith("/private/x") and "disallows" in str(refused)
    assert hits["/robots.txt"] == 1 and "/private/x" not in hits


def test_robots_404_allows_and_robots_5xx_disallows_the_site_like_google():
    with LocalServer({"/p": b"page"}) as srv:
        assert run(get(fast(), srv.url("/p"))).content == b"page"
    with LocalServer({"/robots.txt": Route(status=503, body=b"down"), "/p": b"page"}) as srv:
        with pytest.raises(RobotsDisallowed, match="HTTP 503.*as Google does") as info:
            run(get(fast(retries=0), srv.url("/p"), source="s1"))
        assert srv.hits["/p"] == 0 and info.value.source == "s1"


def test_robots_can_be_ignored_by_setting():
    with LocalServer({"/robots.txt": "User-agent: *\nDisallow: /\n", "/p": b"page"}) as srv:
        assert run(get(fast(respect_robots=False), srv.url("/p"))).content == b"page"
        assert srv.hits["/robots.txt"] == 0


# -- size cap ---------------------------------------------------------------------------------------

def test_body_larger_than_cap_is_refused():
    with LocalServer({"/big": b"x" * 2_000_000}) as srv:
        with pytest.raises(ResponseTooLarge, match="1,000,000-byte cap"):
            run(get(fast(), srv.url("/big"), source="s"))


def test_gzip_bomb_stops_at_the_decompressed_cap():
    bomb = Route(body=b"\0" * 200_000_000, gzip=True, content_type="application/rss+xml")  # ~200 KB on the wire
    with LocalServer({"/bomb": bomb}) as srv:
        with pytest.raises(ResponseTooLarge, match="after decompression"):
            run(get(fast(), srv.url("/bomb")))
    assert len(bomb.gzip_cache) < 500_000  # it really was a bomb


@pytest.mark.parametrize("encoding, wbits", [("gzip", 31), ("deflate", 15), ("deflate", -15)])
def test_compressed_bodies_are_decompressed(encoding, wbits):
    body = ("<rss>" + "압축된 피드 본문 " * 50_000 + "</rss>").encode()
    packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    packed = packer.compress(body) + packer.flush()
    with LocalServer({"/c": Route(body=packed, headers={"Content-Encoding": encoding})}) as srv:
        result = run(get(fast(max_bytes=len(body)), srv.url("/c")))
    assert result.content == body and len(packed) < len(body) // 10


def test_endless_body_stops_at_the_cap():
    with LocalServer({"/endless": Route(endless=True, chunk_size=65536)}) as srv:
        with pytest.raises(ResponseTooLarge):
            run(get(fast(), srv.url("/endless")))


# -- addresses and schemes --------------------------------------------------------------------------

@pytest.mark.parametrize("url, why", [
    ("http://10.0.0.1/feed", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[::ffff:10.1.2.3]/", "private"),
    ("http://[fe80::1]/", "link-local"),
    ("http://224.0.0.1/", "multicast"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://2130706433/", "loopback"),       # 127.0.0.1 written as a number
    ("http://localhost/", "loopback"),
])
def test_private_and_special_addresses_are_refused_before_connecting(url, why):
    transport = RecordingTransport()
    with pytest.raises(AddressRefused, match=why) as info:
        run(get(fast(allow_private_addresses=False), url, source="evil", transport=transport))
    assert transport.hosts == [] and info.value.source == "evil" and info.value.url == url


def test_host_resolving_to_any_private_address_is_refused():
    async def resolver(host, port):
        return {"blog.example": ["93.184.216.34", "10.0.0.7"], "meta.example": ["169.254.169.254"]}[host]

    transport = RecordingTransport()
    for host, why in (("blog.example", "10.0.0.7 is a private"), ("meta.example", "link-local")):
        with pytest.raises(AddressRefused, match=why):
            run(get(fast(allow_private_addresses=False), f"https://{host}/feed", transport=transport,
                     resolver=resolver))
    assert transport.hosts == []


def test_connection_goes_to_the_checked_address_and_a_changed_dns_answer_is_refused():
    calls: list[str] = []

    async def resolver(host, port):
        calls.append(host)
        # the first answer passes the check; later answers point elsewhere ("DNS rebinding")
        return ["127.0.0.1"] if host == "stable.test" or len(calls) == 1 else ["127.0.0.2"]

    settings = fast(allow_private_addresses=False, allowed_networks=["127.0.0.1/32"], respect_robots=False)
    with LocalServer({"/p": b"ok"}) as srv:
        port = srv.base_url.rsplit(":", 1)[1]
        result = run(get(settings, f"http://stable.test:{port}/p", resolver=resolver))
        assert result.content == b"ok" and srv.requests_to("/p")[0].headers["host"] == f"stable.test:{port}"
        calls.clear()
        with pytest.raises(AddressRefused, match="127.0.0.2 is a loopback address"):
            run(get(settings, f"http://rebind.test:{port}/p", resolver=resolver))
        assert srv.hits["/p"] == 1  # the second request never reached the server


def test_loopback_is_refused_unless_allowed():
    with LocalServer({"/p": b"ok"}) as srv:
        with pytest.raises(AddressRefused, match="127.0.0.1 is a loopback address"):
            run(get(fast(allow_private_addresses=False), srv.url("/p")))
        assert srv.hits == {}
        assert run(get(fast(allow_private_addresses=True), srv.url("/p"))).content == b"ok"


def test_redirect_to_a_private_address_is_refused_before_connecting():
    settings = fast(allow_private_addresses=False, allowed_networks=["127.0.0.1/32"])
    with LocalServer({"/go": Route(redirect="http://10.0.0.1/admin", status=301)}) as srv:
        transport = RecordingTransport()
        with pytest.raises(AddressRefused, match="10.0.0.1 is a private address") as info:
            run(get(settings, srv.url("/go"), source="s", transport=transport))
        assert srv.hits["/go"] == 1
    assert "10.0.0.1" not in transport.hosts and info.value.url == "http://10.0.0.1/admin"


@pytest.mark.parametrize("url", ["ftp://example.org/feed", "file:///etc/passwd", "javascript:alert(1)",
                                 "gopher://127.0.0.1:70/"])
def test_only_http_and_https_are_fetched(url):
    with pytest.raises(FetchError, match="only http and https"):
        run(get(fast(), url))


def test_redirect_to_another_scheme_is_refused():
    with LocalServer({"/r": Route(redirect="file:///etc/passwd")}) as srv:
        with pytest.raises(FetchError, match="only http and https"):
            run(get(fast(), srv.url("/r")))


# -- redirects --------------------------------------------------------------------------------------

def test_redirects_are_followed_and_reported():
    with LocalServer({"/old": Route(redirect="/mid", status=301), "/mid": Route(redirect="/new", status=308),
                      "/new": b"here"}) as srv:
        result = run(get(fast(), srv.url("/old")))
    assert result.content == b"here" and result.final_url == srv.url("/new")
    assert result.redirects == [srv.url("/mid"), srv.url("/new")] and result.url == srv.url("/old")


def test_redirect_loop_is_detected():
    with LocalServer({"/a": Route(redirect="/b"), "/b": Route(redirect="/a")}) as srv:
        with pytest.raises(TooManyRedirects, match="redirect loop: .*/a → .*/b → .*/a"):
            run(get(fast(), srv.url("/a"), source="s"))
        assert srv.hits["/a"] == 1 and srv.hits["/b"] == 1


def test_too_many_redirects():
    routes = {f"/r{i}": Route(redirect=f"/r{i + 1}") for i in range(10)}
    with LocalServer(routes) as srv:
        with pytest.raises(TooManyRedirects, match="more than 3 redirects"):
            run(get(fast(max_redirects=3), srv.url("/r0")))
        assert srv.hits["/r4"] == 0


# -- statuses and retries ---------------------------------------------------------------------------

@pytest.mark.parametrize("status", [404, 410])
def test_gone_pages_are_final_and_not_retried(status):
    with LocalServer({"/p": Route(status=status, body=b"nope")}) as srv:
        with pytest.raises(HTTPStatusError) as info:
            run(get(fast(retries=3), srv.url("/p"), source="s"))
        assert srv.hits["/p"] == 1
    assert info.value.status == status and "not retried" in str(info.value) and info.value.source == "s"


def test_429_then_success_honours_retry_after():
    def limited(req):
        return Route(status=429, headers={"Retry-After": "1"}) if req.count == 1 else Route(body=b"fine")

    with LocalServer({"/p": limited}) as srv:
        result = run(get(fast(retries=2, backoff_base=0.01), srv.url("/p")))
        first, second = srv.requests_to("/p")
    assert result.content == b"fine"
    assert second.at - first.at >= 0.9  # waited as asked, not the 0.01 s backoff


def test_retry_after_beyond_the_cap_is_not_waited_for():
    with LocalServer({"/p": Route(status=503, headers={"Retry-After": "86400"})}) as srv:
        with pytest.raises(HTTPStatusError, match="asks to wait 86400 s") as info:
            run(get(fast(retries=3), srv.url("/p")))
        assert srv.hits["/p"] == 1 and info.value.status == 503


def test_500_is_retried_then_reported():
    with LocalServer({"/p": Route(status=500, body=b"boom")}) as srv:
        with pytest.raises(HTTPStatusError, match="HTTP 500 .*after 3 attempts") as info:
            run(get(fast(retries=2), srv.url("/p")))
        assert srv.hits["/p"] == 3 and info.value.status == 500


def test_connection_failure_is_retried_by_injected_transport_then_succeeds():
    class FlakyTransport(httpx.AsyncBaseTransport):
        """Fails the first connection, then uses the real transport."""
        def __init__(self):
            self.inner, self.calls = httpx.AsyncHTTPTransport(), 0

        async def handle_async_request(self, request):
            self.calls += 1
            if self.calls == 2:  # 1 is robots.txt
                raise httpx.ConnectError("connection reset by peer")
            return await self.inner.handle_async_request(request)

    with LocalServer({"/p": b"ok"}) as srv:
        assert run(get(fast(retries=1), srv.url("/p"), transport=FlakyTransport())).content == b"ok"


def test_refused_connection_is_a_clear_error():
    with LocalServer({}) as srv:
        url = srv.url("/p")
    with pytest.raises(FetchError, match="connection failed.*after 2 attempts"):
        run(get(fast(retries=1, respect_robots=False), url))


@pytest.mark.parametrize("route, kind", [
    (Route(status=403, headers={"cf-mitigated": "challenge"}, body=b"<html>...</html>"), "cf-mitigated"),
    (Route(status=403, body=b"<title>Just a moment...</title>"), "just a moment"),
    (Route(status=503, body=b"<h1>Attention Required! | Cloudflare</h1>"), "attention required"),
    (Route(status=403, body=b"<div class='g-recaptcha'>captcha</div>"), "captcha"),
])
def test_bot_protection_is_reported_as_such(route, kind):
    with LocalServer({"/p": route}) as srv:
        with pytest.raises(BotProtection, match=f"bot protection .*{kind}") as info:
            run(get(fast(retries=2), srv.url("/p"), source="s"))
        assert srv.hits["/p"] == 1 and info.value.source == "s"


def test_plain_403_is_an_http_error_not_bot_protection():
    with LocalServer({"/p": Route(status=403, body=b"Forbidden")}) as srv:
        with pytest.raises(HTTPStatusError) as info:
            run(get(fast(), srv.url("/p")))
    assert not isinstance(info.value, BotProtection) and info.value.status == 403


# -- timeouts ---------------------------------------------------------------------------------------

def test_slow_drip_exceeding_the_total_deadline_times_out():
    drip = Route(body=b"x" * 200, drip=0.05, chunk_size=1)  # 10 s in all, a byte every 50 ms
    with LocalServer({"/slow": drip}) as srv:
        with pytest.raises(FetchTimeout, match="total deadline"):
            run(get(fast(read_timeout=1.0, total_timeout=0.5, retries=0, respect_robots=False), srv.url("/slow")))


def test_server_silent_longer_than_read_timeout_times_out():
    with LocalServer({"/slow": Route(body=b"late", delay=1.5)}) as srv:
        with pytest.raises(FetchTimeout, match="read timeout"):
            run(get(fast(read_timeout=0.2, retries=0, respect_robots=False), srv.url("/slow")))


# -- politeness -------------------------------------------------------------------------------------

def test_per_host_concurrency_is_honoured():
    routes = {f"/p{i}": Route(body=b"ok", delay=0.2) for i in range(6)}
    with LocalServer(routes) as srv:
        async def scenario():
            async with Fetcher(fast(per_host_concurrency=2, total_concurrency=16)) as f:
                return await f.get_many([srv.url(p) for p in routes])
        results = run(scenario())
        assert all(r.content == b"ok" for r in results)
        assert srv.max_in_flight == 2


def test_total_concurrency_is_honoured_across_hosts():
    routes = {f"/p{i}": Route(body=b"ok", delay=0.1) for i in range(4)}
    with LocalServer(routes) as a, LocalServer(routes) as b:
        async def scenario():
            # 127.0.0.1 and localhost are different host names for the per-host gate
            async with Fetcher(fast(per_host_concurrency=4, total_concurrency=1)) as f:
                return await f.get_many([a.url(p) for p in routes] +
                                        [b.url(p).replace("127.0.0.1", "localhost") for p in routes])
        assert all(r.content == b"ok" for r in run(scenario()))
        assert a.max_in_flight == 1 and b.max_in_flight == 1


def test_per_host_delay_spaces_requests():
    routes = {f"/p{i}": b"ok" for i in range(3)}
    with LocalServer(routes) as srv:
        async def scenario():
            async with Fetcher(fast(per_host_delay=0.2, per_host_concurrency=4, respect_robots=False)) as f:
                return await f.get_many([srv.url(p) for p in routes])
        run(scenario())
        starts = sorted(r.at for r in srv.requests)
    assert all(b - a >= 0.18 for a, b in zip(starts, starts[1:])), [b - a for a, b in zip(starts, starts[1:])]


def test_get_many_returns_errors_in_place_and_counts_requests():
    with LocalServer({"/ok": b"ok", "/gone": Route(status=410)}) as srv:
        async def scenario():
            async with Fetcher(fast()) as f:
                results = await f.get_many([(srv.url("/ok"), "a"), (srv.url("/gone"), "b"), "ftp://x/"])
                return results, f.request_count
        (ok, gone, bad), count = run(scenario())
    assert ok.content == b"ok" and ok.source == "a"
    assert isinstance(gone, HTTPStatusError) and gone.source == "b" and gone.status == 410
    assert isinstance(bad, FetchError)
    assert count == 3  # robots.txt once, /ok, /gone


# -- decoding ---------------------------------------------------------------------------------------

def test_euc_kr_page_with_charset_only_in_meta_is_decoded():
    page = f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=euc-kr"></head>' \
           f'<body><p>{KOREAN}</p></body></html>'.encode("cp949")
    with LocalServer({"/ko": Route(body=page, content_type="text/html")}) as srv:
        result = fetch_once(srv.url("/ko"), fast())
    assert KOREAN in result.text and result.encoding == "cp949" and result.encoding_source == "meta"


def test_header_charset_contradicted_by_the_body_falls_back_to_meta():
    page = f'<meta charset="euc-kr"><p>{KOREAN}</p>'.encode("cp949")
    with LocalServer({"/ko": Route(body=page, content_type="text/html; charset=utf-8")}) as srv:
        result = fetch_once(srv.url("/ko"), fast())
    assert KOREAN in result.text
    assert result.encoding_source.startswith("meta") and "utf-8 did not decode" in result.encoding_source


def test_server_default_latin1_on_a_utf8_page_is_read_as_utf8():
    text, codec, how = decode_body(f"<p>{KOREAN}</p>".encode(), "text/html; charset=ISO-8859-1")
    assert KOREAN in text and codec == "utf-8"


def test_invalid_utf8_is_decoded_with_replacement_not_an_error():
    text, codec, how = decode_body(b"<p>caf\xe9 \xff\xfe ok \xed\xa0\x80</p>", "text/html; charset=utf-8")
    assert "ok" in text and "\ufffd" in text and "replacement" in how


def test_unknown_and_utf7_charsets_are_ignored():
    assert decode_body("<p>é</p>".encode(), "text/html; charset=x-nonsense")[1] == "utf-8"
    assert decode_body(b"+ADw-script+AD4-", "text/html; charset=utf-7")[0] == "+ADw-script+AD4-"
