"""``blogsift summarize``: JSONL in, the same records with ``bullets`` and ``provenance`` out."""

from __future__ import annotations

import json
import sys

import typer

from ..errors import BlogsiftError


def register(app: typer.Typer) -> None:
    app.command("summarize")(summarize)


def summarize(
    input: str = typer.Option("-", "--input", "-i", help='JSONL of {"url","title","text","lang"?,"links"?}; - for stdin'),
    output: str = typer.Option("-", "--output", "-o", help="JSONL with bullets and provenance; - for stdout"),
    lang: str = typer.Option(None, "--lang", help="language of the summaries (default: settings summary.lang)"),
) -> None:
    """Summarize posts given as JSONL, extractive by default or with the configured LLM endpoint."""
    from ..cli import fail, get_context
    from ..enrich import enrich
    from ..models import Post
    from ..summarize import make_summarizer

    ctx = get_context()
    lang = lang or ctx.settings.summary.lang
    try:
        summarizer = make_summarizer(ctx.settings, store=ctx.store() if ctx.settings.summary.llm else None)
    except BlogsiftError as exc:
        raise fail(exc)
    fin = sys.stdin if input == "-" else open(input, encoding="utf-8")
    fout = sys.stdout if output == "-" else open(output, "w", encoding="utf-8")
    try:
        for n, line in enumerate(fin, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                post = Post(url=str(rec["url"]), title=str(rec["title"]), source_key="input",
                            text=str(rec.get("text") or ""), lang=rec.get("lang") or "en",
                            links=[str(u) for u in rec.get("links") or []])
            except (ValueError, KeyError, TypeError) as exc:
                raise fail(f"{input}:{n}: not a record with url and title ({exc})")
            summary = summarizer.summarize(post, enrich(post), lang=lang)
            rec.update(bullets=summary.bullets, provenance=summary.author)
            if summary.note:   # why there is no summary (all code, a table, a list of links ...)
                rec["note"] = summary.note
            fout.write(json.dumps(rec, ensure_ascii=False) + "\n")
    finally:
        if fout is not sys.stdout:
            fout.close()
    usage = getattr(summarizer, "usage", None)
    if usage is not None:
        typer.echo(f"{usage.requests} requests, {usage.total_tokens} tokens, {len(usage.fallbacks)} fallbacks",
                   err=True)
