"""``blogsift serve`` (the review web app) and the decision verbs ``accept``, ``reject``, ``move``, ``edit``."""

from __future__ import annotations

import dataclasses
from typing import List, Optional

import typer

from ..errors import BlogsiftError
from ..models import AREAS, TRACKS


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("accept")(accept)
    app.command("reject")(reject)
    app.command("move")(move)
    app.command("edit")(edit)


_AUTHOR_HELP = "name recorded with the decision (default: settings review.author)"


def serve(
    host: Optional[str] = typer.Option(None, "--host", help="address to listen on (default: settings review.host, "
                                                            "127.0.0.1); beyond loopback a token is required"),
    port: Optional[int] = typer.Option(None, "--port", help="port (default: settings review.port)"),
    forwarded_allow_ips: Optional[str] = typer.Option(
        None, "--forwarded-allow-ips", help="addresses of the reverse proxy whose X-Forwarded-Proto/-For are "
                                            "trusted, comma-separated or * (default: settings "
                                            "review.forwarded_allow_ips, else 127.0.0.1)"),
) -> None:
    """Start the review web app: candidates with scores and reasons, accept/reject/move/edit, digest preview.

    Behind a reverse proxy, set review.public_origin to the address people open (its host is accepted and
    its forms trusted) and --forwarded-allow-ips to the proxy's address."""
    import uvicorn

    from ..cli import fail, get_context
    from ..web import create_app
    from ..web.security import is_loopback

    ctx = get_context()
    review_settings = dataclasses.replace(ctx.settings.review, host=host or ctx.settings.review.host,
                                          port=port or ctx.settings.review.port)
    settings = dataclasses.replace(ctx.settings, review=review_settings)
    try:
        web_app = create_app(ctx.store(), settings)
    except BlogsiftError as exc:
        raise fail(exc)
    shown = f"[{review_settings.host}]" if ":" in review_settings.host else review_settings.host
    typer.echo(f"blogsift review on http://{shown}:{review_settings.port}/ (Ctrl+C to stop)", err=True)
    if not is_loopback(review_settings.host):
        typer.echo("every request needs the access token: open /login?token=... once, or send "
                   "'Authorization: Bearer ...'; put TLS in front of it on an untrusted network", err=True)
    if review_settings.public_origin:
        typer.echo(f"behind a reverse proxy at {review_settings.public_origin}", err=True)
    uvicorn.run(web_app, host=review_settings.host, port=review_settings.port, log_level="warning",
                **proxy_options(forwarded_allow_ips or review_settings.forwarded_allow_ips))


def proxy_options(forwarded_allow_ips: str) -> dict:
    """uvicorn's options for the proxy in front: its X-Forwarded-Proto/-For are honoured only from the
    given addresses (uvicorn's own default, 127.0.0.1, when none are given)."""
    return {"proxy_headers": True, "forwarded_allow_ips": forwarded_allow_ips or "127.0.0.1"}


def _decide(fn, *args, **kwargs) -> dict | None:
    from ..cli import fail, get_context
    try:
        return fn(get_context().store(), *args, **kwargs)
    except BlogsiftError as exc:
        raise fail(exc)


def _author(author: Optional[str]) -> str:
    from ..cli import get_context
    return author or get_context().settings.review.author


def accept(
    url: str = typer.Argument(..., help="the post's URL"),
    track: Optional[str] = typer.Option(None, "--track", help=f"file it under this track: {', '.join(TRACKS)}"),
    area: Optional[str] = typer.Option(None, "--area", help=f"and this area: {', '.join(AREAS)}"),
    author: Optional[str] = typer.Option(None, "--author", help=_AUTHOR_HELP),
) -> None:
    """Put a post in the digest (a person's decision: the pipeline never undoes it)."""
    from ..review import accept as do_accept
    entry = _decide(do_accept, url, _author(author), track=track, area=area)
    typer.echo(f"accepted: {url} → {entry['track']}/{entry['area']}")


def reject(
    url: str = typer.Argument(..., help="the post's URL"),
    reason: Optional[str] = typer.Option(None, "--reason", help="why, kept with the decision"),
    author: Optional[str] = typer.Option(None, "--author", help=_AUTHOR_HELP),
) -> None:
    """Keep a post out of the digest for good."""
    from ..review import reject as do_reject
    _decide(do_reject, url, _author(author), reason=reason)
    typer.echo(f"rejected: {url}")


def move(
    url: str = typer.Argument(..., help="the post's URL"),
    track: str = typer.Option(..., "--track", help=f"one of {', '.join(TRACKS)}"),
    area: str = typer.Option(..., "--area", help=f"one of {', '.join(AREAS)}"),
    author: Optional[str] = typer.Option(None, "--author", help=_AUTHOR_HELP),
) -> None:
    """File a post under another track and area."""
    from ..review import move as do_move
    entry = _decide(do_move, url, _author(author), track, area)
    note = "" if entry else " (not in the digest yet: applies when it is accepted)"
    typer.echo(f"moved: {url} → {track}/{area}{note}")


def edit(
    url: str = typer.Argument(..., help="the post's URL"),
    title_md: Optional[str] = typer.Option(None, "--title-md", help="digest title with emphasis: *model*, **product**"),
    bullets: Optional[List[str]] = typer.Option(None, "--bullet", help="a summary bullet; repeat for each "
                                                                       "(replaces the whole summary)"),
    author: Optional[str] = typer.Option(None, "--author", help=_AUTHOR_HELP),
) -> None:
    """Edit a post's digest title and/or summary bullets (a person's edit is never overwritten)."""
    from ..cli import fail
    from ..review import edit_summary, edit_title
    if title_md is None and not bullets:
        raise fail("give --title-md and/or --bullet")
    who = _author(author)
    if title_md is not None:
        _decide(edit_title, url, who, title_md)
        typer.echo(f"title edited: {url}")
    if bullets:
        from ..cli import get_context
        _decide(edit_summary, url, who, bullets, lang=get_context().settings.summary.lang)
        typer.echo(f"summary edited: {url} ({len(bullets)} bullets)")
