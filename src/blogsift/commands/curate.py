"""``blogsift classify`` (JSONL in, JSONL out) and ``blogsift explain URL``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from ..errors import BlogsiftError


def register(app: typer.Typer) -> None:
    app.command("classify")(classify)
    app.command("explain")(explain)


def _open_in(path: str):
    return sys.stdin if path == "-" else open(path, encoding="utf-8")


def _open_out(path: str):
    return sys.stdout if path == "-" else open(path, "w", encoding="utf-8")


def classify(
    input: str = typer.Option("-", "--input", "-i", help='JSONL of {"url","title","text"?,"org"?,"lang"?}; - for stdin'),
    output: str = typer.Option("-", "--output", "-o", help="JSONL with track, area, in_scope and confidences; - for stdout"),
) -> None:
    """Classify posts given as JSONL: in scope?, track and area, each with a confidence."""
    from ..classify import Classifier, examples_from_store
    from ..cli import fail, get_context
    from ..models import Source

    ctx = get_context()
    extra = examples_from_store(ctx.store()) if (ctx.db or Path(ctx.settings.db_url().split("///")[-1]).exists()) else []
    clf = Classifier.default(ctx.settings, extra_examples=extra)
    fin, fout = _open_in(input), _open_out(output)
    try:
        for n, line in enumerate(fin, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                title = str(rec["title"])
            except (ValueError, KeyError, TypeError) as exc:
                raise fail(f"{input}:{n}: not a record with a title ({exc})")
            org = rec.get("org")
            source = Source(key="input", name=org or "", feed_url="https://example.invalid/", org=org,
                            kind=rec.get("kind") or ("company" if org else "individual"),
                            # an AWS blog, when the record does not say: the URL tells
                            aws=bool(rec.get("aws", "aws.amazon.com/" in str(rec.get("url", "")))))
            c = clf.classify(title, rec.get("text") or "", org=org, source=source, lang=rec.get("lang"))
            rec.update(in_scope=c.in_scope, in_scope_conf=round(c.in_scope_conf, 4), track=c.track,
                       track_conf=round(c.track_conf, 4), area=c.area, area_conf=round(c.area_conf, 4), model=c.model)
            fout.write(json.dumps(rec, ensure_ascii=False) + "\n")
    finally:
        if fout is not sys.stdout:
            fout.close()


def explain(url: str = typer.Argument(..., help="the post's URL")) -> None:
    """Print why a post was or was not selected: classification, score breakdown, decisions."""
    from ..cli import fail, get_context
    from ..explain import explain as explain_post

    ctx = get_context()
    try:
        typer.echo(explain_post(ctx.store(), ctx.settings, url))
    except BlogsiftError as exc:
        raise fail(exc)
