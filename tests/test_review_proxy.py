"""The review app behind a reverse proxy (a configured public origin, forwarded headers from trusted
addresses only) and a signing secret kept in the store, so sessions survive a restart. The app runs
under uvicorn on 127.0.0.1; the client sends what a proxy in front of it would."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx
import pytest
from appserver import serve_app

from blogsift.commands.review import proxy_options
from blogsift.config import Settings
from blogsift.errors import ConfigError
from blogsift.models import Classification, Post, Source
from blogsift.web import create_app
from blogsift.web.security import parse_public_origin

PUBLIC = "https://digest.example.com"
URL = "https://tech.example.com/post"


def _seed(store) -> int:
    store.upsert_source(Source(key="tech", name="Tech", feed_url="https://tech.example.com/feed", org="Tech"))
    post_id = store.upsert_post(Post(url=URL, title="Serving models", source_key="tech", lang="en",
                                     published=datetime(2026, 10, 5, tzinfo=UTC), text="Serving text."))
    store.put_classification(post_id, Classification(True, 0.9, "business", 0.8, "nlp", 0.7, model="clf"))
    return post_id


@contextmanager
def serving(store, public_origin: str = "", forwarded_allow_ips: str = ""):
    settings = Settings()
    settings.review.public_origin = public_origin
    app = create_app(store, settings, token="")
    with serve_app(app, **proxy_options(forwarded_allow_ips)) as base, \
            httpx.Client(base_url=base, timeout=30) as client:
        yield client, int(base.rsplit(":", 1)[1])


def _proxied_get(client, path: str) -> httpx.Response:
    return client.get(path, headers={"Host": "digest.example.com", "X-Forwarded-Proto": "https",
                                     "X-Forwarded-For": "203.0.113.7"})


def _act(client, port: int, page: httpx.Response, post_id: int) -> httpx.Response:
    """The form as the browser sends it through a proxy that forwards to 127.0.0.1 (nginx's default Host)."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    cookie = page.headers["set-cookie"].split(";", 1)[0]
    return client.post("/act", data={"csrf_token": token, "url": URL, "post_id": str(post_id), "action": "accept",
                                     "next": "/"},
                       headers={"Host": f"127.0.0.1:{port}", "Origin": PUBLIC, "Cookie": cookie,
                                "X-Forwarded-Proto": "https"}, follow_redirects=False)


def test_without_a_public_origin_the_proxied_host_is_refused(store):
    post_id = _seed(store)
    with serving(store) as (client, _port):
        assert _proxied_get(client, f"/post/{post_id}").status_code == 400


def test_behind_a_proxy_at_the_public_origin_pages_and_forms_work(store):
    post_id = _seed(store)
    with serving(store, public_origin=PUBLIC) as (client, port):
        page = _proxied_get(client, f"/post/{post_id}")
        assert page.status_code == 200
        assert "secure" in page.headers["set-cookie"].lower()       # https at the proxy: Secure cookies
        r = _act(client, port, page, post_id)
        assert r.status_code == 303, r.text
    assert store.get_entry(URL)["status"] == "accepted"


def test_forwarded_headers_count_only_from_the_allowed_proxy(store):
    post_id = _seed(store)
    with serving(store, public_origin=PUBLIC, forwarded_allow_ips="192.0.2.1") as (client, _port):
        page = _proxied_get(client, f"/post/{post_id}")     # from 127.0.0.1, not the proxy
        assert page.status_code == 200 and "secure" not in page.headers["set-cookie"].lower()


def test_another_site_is_still_refused_with_a_public_origin(store):
    post_id = _seed(store)
    with serving(store, public_origin=PUBLIC) as (client, port):
        page = _proxied_get(client, f"/post/{post_id}")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        r = client.post("/act", data={"csrf_token": token, "url": URL, "action": "accept"},
                        headers={"Origin": "https://evil.example", "Cookie": page.headers["set-cookie"].split(";")[0]})
        assert r.status_code == 403


def test_a_session_survives_a_restart_of_the_app(store):
    post_id = _seed(store)
    with serving(store) as (client, port):
        page = client.get(f"/post/{post_id}")
    with serving(store) as (client, port):           # a new process would read the same secret
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        r = client.post("/act", data={"csrf_token": token, "url": URL, "post_id": str(post_id), "action": "accept",
                                      "next": "/"},
                        headers={"Cookie": page.headers["set-cookie"].split(";", 1)[0]}, follow_redirects=False)
        assert r.status_code == 303, r.text


@pytest.mark.parametrize("bad", ["digest.example.com", "https://digest.example.com/review", "ftp://x.example"])
def test_a_public_origin_must_be_an_origin(bad):
    with pytest.raises(ConfigError, match="review.public_origin"):
        parse_public_origin(bad)
