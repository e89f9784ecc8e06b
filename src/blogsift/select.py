"""Selection for a period: threshold, per-(track, area) and total quotas, a person's decisions first.

Every candidate gets a reason, selected or not, so ``blogsift explain`` can say why.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from .models import Classification, Decision, Enrichment, Post, Score

__all__ = ["Candidate", "Selection", "select"]


@dataclass
class Candidate:
    post: Post
    classification: Classification
    score: Score
    enrichment: Enrichment | None = None


@dataclass
class Selection:
    candidate: Candidate
    selected: bool
    reason: str


def _person_verdicts(decisions: list[Decision]) -> dict[str, str]:
    verdict: dict[str, str] = {}
    for d in decisions:  # oldest first: the newest accept/reject wins
        if d.action in ("accept", "reject") and (d.author.startswith("person") or d.author.startswith("import")):
            verdict[d.url] = d.action
    return verdict


def select(candidates: list[Candidate], settings, decisions: list[Decision]) -> list[Selection]:
    cur = settings.curation
    verdict = _person_verdicts(decisions)
    out: list[Selection] = []
    per_area: Counter = Counter()
    by_month: dict[str, list[Candidate]] = defaultdict(list)
    for cand in candidates:
        month = cand.post.published.strftime("%Y-%m") if cand.post.published else "unknown"
        by_month[month].append(cand)
    for month, cands in by_month.items():
        per_area.clear()
        total = 0
        # a person's accepts take their places first; the machine fills what is left
        ranked = sorted(cands, key=lambda c: (verdict.get(c.post.url) != "accept", -c.score.total, c.post.id or 0))
        for cand in ranked:
            url, c = cand.post.url, cand.classification
            if verdict.get(url) == "accept":
                out.append(Selection(cand, True, "accepted by a person"))
                per_area[(c.track, c.area)] += 1
                total += 1
            elif verdict.get(url) == "reject":
                out.append(Selection(cand, False, "rejected by a person"))
            elif cand.enrichment and cand.enrichment.duplicate_of:
                out.append(Selection(cand, False, f"same story as {cand.enrichment.duplicate_of}"))
            elif not c.in_scope:
                out.append(Selection(cand, False, f"out of scope ({c.in_scope_conf:.0%} sure)"))
            elif c.in_scope_conf < cur.min_in_scope_conf:
                out.append(Selection(cand, False, f"in scope only {c.in_scope_conf:.0%} sure, below the "
                                                  f"{cur.min_in_scope_conf:.0%} required"))
            elif cand.score.total < cur.threshold:
                out.append(Selection(cand, False, f"score {cand.score.total:.2f} below threshold {cur.threshold:.2f}"))
            elif per_area[(c.track, c.area)] >= cur.quota_per_area:
                out.append(Selection(cand, False, f"quota of {cur.quota_per_area} for {c.track}/{c.area} in {month} full"))
            elif total >= cur.quota_total:
                out.append(Selection(cand, False, f"total quota of {cur.quota_total} for {month} full"))
            else:
                per_area[(c.track, c.area)] += 1
                total += 1
                out.append(Selection(cand, True, f"score {cand.score.total:.2f} ≥ {cur.threshold:.2f}"))
    return out
