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


#: records classified together: large enough for vectorised scoring, small enough to stream
CLASSIFY_BATCH = 256


def classify(
    input: str = typer.Option("-", "--input", "-i", help='JSONL of {"url","title","text"?,"org"?,"kind"?,"lang"?}; '
                                                        "- for stdin"),
    output: str = typer.Option("-", "--output", "-o", help="JSONL with source, in_scope, track, area and "
                                                          "confidences; - for stdout"),
) -> None:
    """Classify posts given as JSONL: the blog behind each (registry key in `source`), in scope?, track
    and area, each with a confidence.

    A record's `kind` (company, research, individual, project, aws) wins over the registry's. `org`, when
    given, is read as a digest entry line shows it: entries of the AWS-only track show none. Lines that
    cannot be classified are reported with their line number; the rest is still classified, and the
    exit code is 1 when any line failed."""
    from ..classify import Classifier, examples_from_store, item_from_record
    from ..cli import fail, get_context
    from ..errors import InputError
    from ..sources import registry_resolver

    ctx = get_context()
    has_store = bool(ctx.db) or Path(ctx.settings.db_url().split("///")[-1]).exists()
    try:
        resolver = registry_resolver(ctx.store().list_sources() if has_store else None, ctx.settings.registry or None)
    except BlogsiftError as exc:
        raise fail(exc)
    extra = examples_from_store(ctx.store(), resolver.resolve) if has_store else []
    clf = Classifier.default(ctx.settings, extra_examples=extra)
    fin, fout = _open_in(input), _open_out(output)
    failed = total = 0
    batch: list[tuple[dict, dict, object]] = []

    def flush() -> None:
        for (rec, _, registered), c in zip(batch, clf.classify_many([item for _, item, _ in batch])):
            rec.update(source=registered.key if registered else None, in_scope=c.in_scope,
                       in_scope_conf=round(c.in_scope_conf, 4), track=c.track, track_conf=round(c.track_conf, 4),
                       area=c.area, area_conf=round(c.area_conf, 4), model=c.model)
            fout.write(json.dumps(rec, ensure_ascii=False) + "\n")
        batch.clear()

    try:
        for n, line in enumerate(fin, 1):
            if not line.strip():
                continue
            total += 1
            try:
                try:
                    rec = json.loads(line)
                except ValueError as exc:
                    raise InputError(f"not JSON ({exc})") from exc
                item, registered = item_from_record(rec, resolver.resolve)
            except InputError as exc:
                failed += 1
                typer.echo(f"{input}:{n}: {exc}", err=True)
                continue
            batch.append((rec, item, registered))
            if len(batch) >= CLASSIFY_BATCH:
                flush()
        flush()
    finally:
        if fout is not sys.stdout:
            fout.close()
    if failed:
        raise fail(f"{failed} of {total} lines could not be classified (see above); the others were")


def explain(url: str = typer.Argument(..., help="the post's URL")) -> None:
    """Print why a post was or was not selected: classification, score breakdown, decisions."""
    from ..cli import fail, get_context
    from ..explain import explain as explain_post

    ctx = get_context()
    try:
        typer.echo(explain_post(ctx.store(), ctx.settings, url))
    except BlogsiftError as exc:
        raise fail(exc)
