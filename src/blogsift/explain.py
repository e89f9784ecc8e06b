"""Why a post was or was not selected: classification, score breakdown, selection reason, decisions."""

from __future__ import annotations

from .errors import SourceError
from .pipeline import month_bounds

__all__ = ["explain"]


def explain(store, settings, url: str) -> str:
    from .enrich import canonical_url
    from .select import Candidate, select

    post = store.get_post(url) or store.get_post(canonical_url(url))
    if post is None:
        raise SourceError(f"no stored post with URL {url}")
    c, score, e = store.get_classification(post.id), store.get_score(post.id), store.get_enrichment(post.id)
    lines = [f"{post.title}", f"  {post.url}", f"  source: {post.source_key}, published "
             f"{post.published:%Y-%m-%d}" if post.published else "  date unknown",
             f"  extraction: {post.extraction}" + (f" ({post.extraction_note})" if post.extraction_note else "")]
    if c is None or score is None:
        lines.append("not curated yet: run `blogsift run` (or `--no-fetch`) for its period")
        return "\n".join(lines)
    lines.append(f"classification ({c.model}): {'in scope' if c.in_scope else 'OUT OF SCOPE'} "
                 f"({c.in_scope_conf:.0%}), track {c.track} ({c.track_conf:.0%}), area {c.area} ({c.area_conf:.0%})")
    lines.append(f"score {score.total:.2f} ({score.model}), threshold {settings.curation.threshold:.2f}:")
    lines += [f"  {r}" for r in score.reasons] or ["  (no signal)"]
    if e and (e.code_links or e.model_links or e.paper_links or e.series or e.alternate_urls):
        lines.append("links: " + ", ".join(e.code_links + e.model_links + e.dataset_links + e.paper_links))
        if e.series:
            lines.append(f"series: part {e.series.part or '?'} of '{e.series.name}', previous {e.series.previous_urls}")
        if e.duplicate_of:
            lines.append(f"same story as {e.duplicate_of}")
    month = post.published.strftime("%Y-%m") if post.published else None
    if month:
        since, until = month_bounds(month)
        cands = []
        for p in store.list_posts(since, until):
            pc, ps = store.get_classification(p.id), store.get_score(p.id)
            if pc and ps:
                cands.append(Candidate(p, pc, ps, store.get_enrichment(p.id)))
        for sel in select(cands, settings, store.all_decisions()):
            if sel.candidate.post.url == post.url:
                lines.append(f"{'SELECTED' if sel.selected else 'not selected'}: {sel.reason}")
    decisions = store.decisions_for(post.url)
    if decisions:
        lines.append("decisions:")
        lines += [f"  {d.at:%Y-%m-%d %H:%M} {d.author}: {d.action} {d.payload or ''}" for d in decisions]
    return "\n".join(lines)
