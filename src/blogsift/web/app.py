"""The review web app: go through a month's candidates, accept, reject, move, edit; preview the digest.

Server-rendered Jinja2 pages (autoescaped), our own small CSS and JS served by the app, no external
assets. Every change goes through :mod:`blogsift.review`, which records a decision with its author and
time; after each form the browser is sent back to the page it came from (POST-redirect-GET).
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from .. import figures, review
from ..config import Settings
from ..errors import BlogsiftError
from ..models import AREAS, TRACKS
from ..store import Store
from .queries import STATUSES, ListFilter, list_candidates, months_with_posts
from .security import (AUTH_COOKIE, CSRF_COOKIE, CSRF_FIELD, LOOPBACK_NAMES, SECRET_DOC, AccessGuard, check_bind,
                       is_loopback, parse_public_origin, safe_href, safe_next, security_headers)

__all__ = ["create_app", "TRACK_LABELS", "AREA_LABELS"]

HERE = Path(__file__).resolve().parent
TRACK_LABELS = {"research": "Research", "business": "Business", "aws": "AWS ML"}
AREA_LABELS = {"cv": "CV", "nlp": "NLP", "recsys_etc": "RecSys, etc.",
               "training_inference_mlops": "Training, Inference, MLOps"}
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
#: login cookie lifetime: a working day or two, then the token is asked again
AUTH_COOKIE_MAX_AGE_S = 2 * 24 * 3600
#: a form body larger than this is not a review form (the longest is an edited summary)
MAX_FORM_BYTES = 64 * 1024


#: candidate figures kept in memory for the edit page (they are small; the page shows a few at a time)
FIGURE_CACHE_ITEMS = 64


def create_app(store: Store, settings: Settings, token: str | None = None) -> Starlette:
    """The review app over ``store``, listening as ``settings.review`` says.

    ``token`` defaults to the environment variable named by ``settings.review.token_env`` (``""``: none). Raises
    :class:`~blogsift.errors.ConfigError` when the host is beyond loopback and there is no token.
    """
    cfg = settings.review
    if token is None:
        token = os.environ.get(cfg.token_env)
    token = token or None   # an empty token is no token
    check_bind(cfg.host, token, cfg.token_env)
    loopback = is_loopback(cfg.host)
    public_origin = parse_public_origin(cfg.public_origin)
    secret = bytes.fromhex(store.document_once(SECRET_DOC, lambda: secrets.token_hex(32)))
    guard = AccessGuard(token, reads_need_token=not loopback, secret=secret, public_origin=public_origin)
    templates = Jinja2Templates(env=_environment())
    ui = _UI(store, settings, guard, templates)

    middleware = [Middleware(BaseHTTPMiddleware, dispatch=ui.guard_requests)]
    if loopback:
        # a page on another site that rebinds its DNS name to 127.0.0.1 must not reach the app
        allowed = {*LOOPBACK_NAMES, cfg.host.strip("[]").lower()}
        if public_origin:   # the name people use through the reverse proxy in front of it
            allowed.add(urlsplit(public_origin).hostname)
        allowed = sorted(allowed)
        middleware.insert(0, Middleware(TrustedHostMiddleware, allowed_hosts=allowed))
    routes = [
        Route("/", ui.list_page, name="list"),
        Route("/post/{post_id:int}", ui.edit_page, name="edit"),
        Route("/act", ui.act, methods=["POST"], name="act"),
        Route("/edit", ui.save_edit, methods=["POST"], name="save_edit"),
        Route("/figure", ui.save_figure, methods=["POST"], name="save_figure"),
        Route("/post/{post_id:int}/figure/{n:int}", ui.figure_image, name="figure_image"),
        Route("/preview", ui.preview_page, name="preview"),
        Route("/digest.md", ui.preview_markdown, name="digest_md"),
        Route("/login", ui.login, methods=["GET", "POST"], name="login"),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={HTTPException: ui.http_error})
    app.state.store, app.state.settings, app.state.guard = store, settings, guard
    return app


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,                 # every value is escaped (templates end in .j2, so say it outright)
        undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["href"] = safe_href
    env.filters["pct"] = lambda v: "–" if v is None else f"{v * 100:.0f}%"
    env.filters["num"] = lambda v: "–" if v is None else f"{v:.2f}"
    env.filters["day"] = lambda d: "" if d is None else d.strftime("%Y-%m-%d")
    env.filters["when"] = lambda d: "" if d is None else d.strftime("%Y-%m-%d %H:%M UTC")
    env.globals.update(TRACKS=TRACKS, AREAS=AREAS, STATUSES=STATUSES, TRACK_LABELS=TRACK_LABELS,
                       AREA_LABELS=AREA_LABELS, CSRF_FIELD=CSRF_FIELD)
    return env


class _UI:
    """The endpoints, sharing the store, settings, guard and templates."""

    def __init__(self, store: Store, settings: Settings, guard: AccessGuard, templates: Jinja2Templates):
        self._figure_cache: dict[str, tuple[bytes, str]] = {}
        self.store, self.settings, self.guard, self.templates = store, settings, guard, templates

    # -- plumbing ---------------------------------------------------------------------------------
    async def guard_requests(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        path = request.url.path
        public = path.startswith("/static/") or path == "/login"
        nonce = self.guard.csrf_nonce(request)
        new_cookie = None
        if nonce is None:
            nonce, new_cookie = self.guard.new_csrf_cookie()
        request.state.csrf_nonce = nonce
        writes = request.method not in ("GET", "HEAD", "OPTIONS")
        if (self.guard.token and not public and (writes or self.guard.reads_need_token)
                and not self.guard.authenticated(request)):
            if writes:
                response: Response = PlainTextResponse("access token required", status_code=401)
            else:
                response = self._render(request, "login.html.j2", {"error": None, "next": _here(request)},
                                        status_code=401)
            response.headers["WWW-Authenticate"] = 'Bearer realm="blogsift"'
        else:
            response = await call_next(request)
        for name, value in security_headers().items():
            response.headers.setdefault(name, value)
        if new_cookie:
            response.set_cookie(CSRF_COOKIE, new_cookie, httponly=True, samesite="strict", path="/",
                                secure=request.url.scheme == "https")
        return response

    def _render(self, request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
        context = {**context, "csrf_token": self.guard.csrf_field(request.state.csrf_nonce),
                   "needs_login": bool(self.guard.token)}
        return self.templates.TemplateResponse(request, name, context, status_code=status_code)

    async def _form(self, request: Request) -> dict[str, str]:
        """The posted form after the CSRF check (403 when it fails)."""
        if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
            raise HTTPException(413, "form too large")
        form = await request.form()
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        if not self.guard.csrf_ok(request, values.get(CSRF_FIELD)):
            raise HTTPException(403, "the form has expired or did not come from this app; reload the page "
                                     "and try again")
        return values

    async def http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if not hasattr(request.state, "csrf_nonce"):
            return PlainTextResponse(exc.detail, status_code=exc.status_code)
        return self._render(request, "error.html.j2", {"status": exc.status_code, "message": exc.detail},
                            status_code=exc.status_code)

    # -- pages ------------------------------------------------------------------------------------
    def list_page(self, request: Request) -> Response:
        qp = request.query_params
        month = qp.get("month") or None
        if month and not _MONTH.match(month):
            raise HTTPException(400, f"month must look like 2026-10, not {month[:20]!r}")
        flt = ListFilter(
            month=month,
            track=qp.get("track") if qp.get("track") in TRACKS else None,
            area=qp.get("area") if qp.get("area") in AREAS else None,
            source=(qp.get("source") or None),
            status=qp.get("status") if qp.get("status") in STATUSES else None,
            q=(qp.get("q") or "").strip()[:200] or None,
        )
        listing = list_candidates(self.store, flt)
        flt.month = listing.month
        months = months_with_posts(self.store)
        if listing.month and listing.month not in months:
            months = sorted({*months, listing.month}, reverse=True)
        filters = {k: v for k, v in vars(flt).items() if v}
        nav = {}   # the neighbouring months that have posts (newest first in ``months``)
        if listing.month in months:
            i = months.index(listing.month)
            if i + 1 < len(months):
                nav["prev"] = "/?" + urlencode({"month": months[i + 1]})
            if i > 0:
                nav["next"] = "/?" + urlencode({"month": months[i - 1]})
        return self._render(request, "list.html.j2", {
            "listing": listing, "flt": flt, "months": months, "nav": nav, "here": _here(request),
            "clear_url": "/?" + urlencode({"month": listing.month}) if listing.month else "/",
            "filtered": any(filters.get(k) for k in ("track", "area", "source", "status", "q")),
        })

    def edit_page(self, request: Request) -> Response:
        post = self.store.get_post_by_id(request.path_params["post_id"])
        if post is None:
            raise HTTPException(404, "no such post")
        entry = self.store.get_entry(post.url)
        summary = self.store.get_summary(post.id)
        classification = self.store.get_classification(post.id)
        back = safe_next(request.query_params.get("next"), "/")
        status = entry["status"] if entry else "candidate"
        pending = review.latest_payload(self.store, post.url, "move")
        if entry:
            place = (entry["track"], entry["area"])
        elif pending:
            place = (pending["track"], pending["area"])
        else:
            place = (classification.track, classification.area) if classification else (None, None)
        figure_choice = figures.person_choice(self.store, post.url)
        shown = (entry or {}).get("extra", {}).get("figure", {}) if entry else {}
        return self._render(request, "edit.html.j2", {
            "figures": self.store.get_figures(post.id), "figure_choice": figure_choice,
            "figure_shown": shown.get("src") if entry and entry["images"] else None,
            "post": post, "entry": entry, "summary": summary, "classification": classification,
            "score": self.store.get_score(post.id), "source": self.store.get_source(post.source_key),
            "title_md": review.draft_title(self.store, post.url),
            "bullets_text": "\n".join(review.draft_bullets(self.store, post.url)),
            "decisions": list(reversed(self.store.decisions_for(post.url))), "back": back,
            "here": _here(request), "status": status, "filed": place,
        })

    def _markdown(self, request: Request) -> tuple[str, str | None, int]:
        """The digest of the accepted entries (of one month with ``?month=``) in the house Markdown."""
        from .. import digest
        month = request.query_params.get("month") or None
        if month and not _MONTH.match(month):
            raise HTTPException(400, f"month must look like 2026-10, not {month[:20]!r}")
        entries = digest.entries_from_store(self.store, month=month)
        return digest.render_markdown(entries, digest.header_from_settings(self.settings)), month, len(entries)

    def preview_page(self, request: Request) -> Response:
        markdown, month, count = self._markdown(request)
        return self._render(request, "preview.html.j2", {
            "markdown": markdown, "month": month, "count": count,
            "download": "/digest.md" + (f"?{urlencode({'month': month})}" if month else "")})

    def preview_markdown(self, request: Request) -> Response:
        return PlainTextResponse(self._markdown(request)[0], media_type="text/markdown; charset=utf-8")

    # -- writes -----------------------------------------------------------------------------------
    async def act(self, request: Request) -> Response:
        form = await self._form(request)
        url, action = form.get("url", ""), form.get("action", "")
        author = self.settings.review.author
        track, area = form.get("track") or None, form.get("area") or None

        def run() -> None:
            if action == "accept":
                review.accept(self.store, url, author, track=track, area=area)
            elif action == "reject":
                review.reject(self.store, url, author)
            elif action == "move":
                review.move(self.store, url, author, track or "", area or "")
            else:
                raise review.ReviewError(f"unknown action {action[:20]!r}", url=url)

        await self._run(run)
        return _back(form)

    async def save_edit(self, request: Request) -> Response:
        form = await self._form(request)
        url, author = form.get("url", ""), self.settings.review.author

        def run() -> None:
            title = (form.get("title_md") or "").strip()
            if title and title != review.draft_title(self.store, url):
                review.edit_title(self.store, url, author, title)
            bullets = review.parse_bullets(form.get("bullets") or "")
            if bullets != review.draft_bullets(self.store, url):
                review.edit_summary(self.store, url, author, bullets, lang=self.settings.summary.lang)
            if form.get("then") == "accept":
                review.accept(self.store, url, author)

        await self._run(run)
        return _back(form)

    async def save_figure(self, request: Request) -> Response:
        """A person's pick among the post's figure candidates, or none."""
        form = await self._form(request)
        url, author, choice = form.get("url", ""), self.settings.review.author, form.get("figure", "")

        def run() -> None:
            figures.choose_figure(self.store, url, author, None if choice == "none" else choice)

        await self._run(run)
        return _back(form)

    async def figure_image(self, request: Request) -> Response:
        """A candidate figure, fetched through the guarded fetcher and checked like a digest's figure, so
        the page shows it under its own content security policy (images from this app only)."""
        post_id, n = request.path_params["post_id"], request.path_params["n"]
        candidates = self.store.get_figures(post_id)
        if not 0 <= n < len(candidates):
            raise HTTPException(404, "no such figure")
        key = candidates[n]["src"]
        if key not in self._figure_cache:
            try:
                self._figure_cache[key] = await figures.fetch_preview(self.settings, key)
            except figures.FigureRefused as exc:
                raise HTTPException(404, f"figure refused: {exc}") from exc
            while len(self._figure_cache) > FIGURE_CACHE_ITEMS:
                self._figure_cache.pop(next(iter(self._figure_cache)))
        data, media_type = self._figure_cache[key]
        return Response(data, media_type=media_type, headers={"Cache-Control": "private, max-age=3600"})

    async def _run(self, fn: Any) -> None:
        try:
            await run_in_threadpool(fn)
        except BlogsiftError as exc:
            raise HTTPException(400, str(exc)) from exc

    async def login(self, request: Request) -> Response:
        if not self.guard.token:
            return RedirectResponse("/", status_code=303)
        if request.method == "POST":
            form = await self._form(request)
            candidate, back = form.get("token"), safe_next(form.get("next"))
        else:
            candidate, back = request.query_params.get("token"), safe_next(request.query_params.get("next"))
        if candidate is None:
            return self._render(request, "login.html.j2", {"error": None, "next": back})
        if not self.guard.token_matches(candidate):
            return self._render(request, "login.html.j2", {"error": "wrong token", "next": back},
                                status_code=401)
        response = RedirectResponse(back, status_code=303)   # the token leaves the address bar at once
        response.set_cookie(AUTH_COOKIE, self.guard.auth_cookie_value(), max_age=AUTH_COOKIE_MAX_AGE_S,
                            httponly=True, samesite="strict", path="/", secure=request.url.scheme == "https")
        return response


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _back(form: dict[str, str]) -> Response:
    target = safe_next(form.get("next"))
    post_id = form.get("post_id", "")
    if post_id.isdigit() and "#" not in target:
        target += f"#p-{post_id}"
    return RedirectResponse(target, status_code=303)
