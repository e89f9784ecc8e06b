"""Ranking: an importance and popularity score with a breakdown a person can read.

Each signal is a value in [0, 1] times a weight; the score is their sum, clipped to [0, 1]. The
weights encode the curator's criteria and learn from the person's accept/reject decisions
(``Ranker.from_store``): a logistic regression over the same signals, started from these weights.
"""

from __future__ import annotations

import math
import re

import numpy as np

from .models import Classification, Enrichment, Post, Score, Source

__all__ = ["Ranker", "WEIGHTS", "signals"]

#: the curator's criteria as weights (they sum to ~1 for a post that has everything)
WEIGHTS = {
    "business_case": 0.20,   # business application cases weigh more than pure research
    "research": 0.08,        # research still counts
    "aws_track": 0.12,       # AWS ML has its own track; within it, posts compete on the rest
    "public_code": 0.15,     # public source code raises importance
    "checkpoint": 0.10,      # released model checkpoints or datasets raise it too
    "paper": 0.04,           # a paper behind the post
    "depth": 0.15,           # technical depth: length, numbers, code, figures
    "reputation": 0.12,      # source reputation (registry prior)
    "popularity": 0.12,      # Hacker News points, repository stars (when fetched)
    "confidence": 0.06,      # how sure the classifier is that it is in scope
}
#: an article of about this many characters is "long"; depth saturates there
DEPTH_CHARS = 4000
#: what a "popular" HN story and repository look like (log-scaled saturation points)
HN_POINTS_SAT = 300
STARS_SAT = 5000


def signals(post: Post, c: Classification, e: Enrichment | None, source: Source | None,
            popularity: dict | None = None) -> dict[str, float]:
    text = post.text or ""
    numbers = len(re.findall(r"\d+(?:\.\d+)?\s?(?:%|ms|x|배|GB|TB|M|B)\b", text))
    code_blocks = text.count("```") // 2 + len(re.findall(r"^\s{4}\S", text, re.M)) // 5
    depth = 0.5 * min(1.0, len(text) / DEPTH_CHARS) + 0.3 * min(1.0, numbers / 8) + \
        0.1 * min(1.0, code_blocks / 2) + 0.1 * min(1.0, len(post.images) / 3)
    pop = 0.0
    if popularity:
        hn = popularity.get("hn_points") or 0
        stars = popularity.get("stars") or 0
        pop = max(math.log1p(hn) / math.log1p(HN_POINTS_SAT), math.log1p(stars) / math.log1p(STARS_SAT))
    return {
        "business_case": 1.0 if c.track == "business" else 0.0,
        "research": 1.0 if c.track == "research" else 0.0,
        "aws_track": 1.0 if c.track == "aws" else 0.0,
        "public_code": 1.0 if e and e.code_links else 0.0,
        "checkpoint": 1.0 if e and (e.model_links or e.dataset_links) else 0.0,
        "paper": 1.0 if e and e.paper_links else 0.0,
        "depth": min(1.0, depth),
        "reputation": source.reputation if source else 0.5,
        "popularity": min(1.0, pop),
        "confidence": c.in_scope_conf if c.in_scope else 0.0,
    }


_REASON = {
    "business_case": "business application case", "research": "research post", "aws_track": "AWS ML track",
    "public_code": "public code", "checkpoint": "model checkpoint or dataset", "paper": "paper",
    "depth": "technical depth", "reputation": "source reputation", "popularity": "popularity",
    "confidence": "in-scope confidence",
}


class Ranker:
    def __init__(self, weights: dict[str, float] | None = None, model: str = "ranker:v1"):
        self.weights = dict(weights or WEIGHTS)
        self.model = model

    def rank(self, post: Post, c: Classification, e: Enrichment | None, source: Source | None,
             popularity: dict | None = None) -> Score:
        sig = signals(post, c, e, source, popularity)
        breakdown = {k: round(self.weights.get(k, 0.0) * v, 4) for k, v in sig.items()}
        total = max(0.0, min(1.0, sum(breakdown.values())))
        if not c.in_scope:
            total = min(total, 0.1)
        reasons = []
        for k, v in sorted(breakdown.items(), key=lambda kv: -abs(kv[1])):
            if abs(v) < 0.005:
                continue
            detail = ""
            if k == "public_code" and e:
                detail = f" ({', '.join(u.split('://', 1)[-1] for u in e.code_links[:2])})"
            elif k == "checkpoint" and e:
                detail = f" ({', '.join(u.split('://', 1)[-1] for u in (e.model_links + e.dataset_links)[:2])})"
            elif k == "popularity" and popularity:
                detail = f" (HN {popularity.get('hn_points', 0)} points, {popularity.get('stars', 0)} stars)"
            reasons.append(f"{v:+.2f} {_REASON[k]}{detail}")
        if not c.in_scope:
            reasons.append("capped at 0.10: out of scope")
        return Score(total=round(total, 4), breakdown=breakdown, reasons=reasons, model=self.model)

    @classmethod
    def from_store(cls, store, settings=None) -> "Ranker":
        """Weights refit on the person's accept/reject decisions when there are enough of both."""
        labelled = []
        for d in store.all_decisions():
            if d.action not in ("accept", "reject") or not d.author.startswith("person"):
                continue
            post = store.get_post(d.url)
            if post is None:
                continue
            c, e = store.get_classification(post.id), store.get_enrichment(post.id)
            if c is None:
                continue
            src = store.get_source(post.source_key)
            labelled.append((signals(post, c, e, src), d.action == "accept"))
        return cls.fit(labelled)

    @classmethod
    def fit(cls, labelled: list[tuple[dict[str, float], bool]], min_each: int = 5) -> "Ranker":
        ys = [y for _, y in labelled]
        if sum(ys) < min_each or len(ys) - sum(ys) < min_each:
            return cls()
        from sklearn.linear_model import LogisticRegression
        keys = list(WEIGHTS)
        X = np.array([[s[k] for k in keys] for s, _ in labelled])
        lr = LogisticRegression(C=1.0, max_iter=1000).fit(X, ys)
        learned = np.clip(lr.coef_[0], 0, None)
        if learned.sum() == 0:
            return cls()
        learned = learned / learned.sum() * sum(WEIGHTS.values())
        # half prior, half learned: a few decisions nudge the weights, many decisions move them
        n = len(labelled)
        alpha = n / (n + 20)
        weights = {k: (1 - alpha) * WEIGHTS[k] + alpha * float(w) for k, w in zip(keys, learned)}
        return cls(weights, model=f"ranker:learned-{n}")
