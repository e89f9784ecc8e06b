"""Enrichment: what a post links to (code, checkpoints, datasets, papers), its series, its canonical URL,
and the posts that tell the same story (near-duplicates, across languages too).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from courlan import normalize_url

from .models import Enrichment, Post, SeriesInfo

__all__ = ["canonical_url", "enrich", "find_duplicates", "classify_link", "signature"]

#: query parameters that only track the reader, beyond those courlan knows (utm_*, source, ref, fbclid,
#: gclid, mc_*, ...): Blogger's mobile switch, Medium's gi/sk, AWS's sc_* campaign tags
TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|m|gi|sk|sc_\w+|trk\w*)$", re.I)
#: two posts at most this far apart in time can be copies of one story (translations lag by days)
DUPLICATE_WINDOW = timedelta(days=21)
#: share of distinctive links/figures two copies must have in common
DUPLICATE_MIN_OVERLAP = 0.5

_CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org")
_PAPER = re.compile(r"^(arxiv\.org|openreview\.net|aclanthology\.org|doi\.org|proceedings\.neurips\.cc|"
                    r"papers\.nips\.cc|dl\.acm\.org)$")
_PART = re.compile(r"(?:\bpart\s*(\d+|[ivx]+)\b|\((\d+)\s*/\s*\d+\)|(\d+)\s*편|\b(\d+)\s*/\s*\d+\s*$)", re.I)
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}
_PREVIOUS = re.compile(r"previous post|previous article|part\s*1|이전\s*글|지난\s*글|1편", re.I)


def canonical_url(url: str) -> str:
    """One spelling per page: lower-case host, no default port, no fragment, no tracking parameters
    (courlan's list, e.g. Medium's ``?source=rss…`` and ``utm_*``, plus ``TRACKING_PARAMS``)."""
    url = url.strip()
    try:
        url = normalize_url(url, strict=False, trailing_slash=True)
    except (ValueError, AttributeError):
        pass   # a URL courlan cannot parse keeps the rules below
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not TRACKING_PARAMS.match(k)])
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def classify_link(url: str) -> str | None:
    """"code" | "model" | "dataset" | "paper" | None for an outgoing link."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = [p for p in parts.path.split("/") if p]
    if host in _CODE_HOSTS and len(path) >= 2:
        return "code"
    if host == "huggingface.co" and path:
        if path[0] == "datasets" and len(path) >= 3:
            return "dataset"
        if path[0] not in ("blog", "docs", "spaces", "datasets", "papers", "learn", "tasks") and len(path) >= 2:
            return "model"
    if host in ("kaggle.com",) and path[:1] == ["datasets"]:
        return "dataset"
    if host == "zenodo.org":
        return "dataset"
    if _PAPER.match(host):
        return "paper"
    return None


def _normal_link(url: str, kind: str) -> str:
    parts = urlsplit(url)
    if kind == "paper" and (parts.hostname or "").endswith("arxiv.org"):
        m = re.search(r"(\d{4}\.\d{4,5})", parts.path)
        if m:
            return f"https://arxiv.org/abs/{m.group(1)}"
    if kind == "code":
        path = "/".join([p for p in parts.path.split("/") if p][:2])
        return f"https://{(parts.hostname or '').lower()}/{path.removesuffix('.git')}"
    return canonical_url(url)


def _series(post: Post, known_posts: Iterable[Post]) -> SeriesInfo | None:
    m = _PART.search(post.title)
    if not m:
        return None
    raw = next(g for g in m.groups() if g)
    part = int(raw) if raw.isdigit() else _ROMAN.get(raw.lower())
    name = _PART.sub("", post.title).strip(" -–:,()")
    name = re.sub(r"\s+", " ", name).lower()
    previous = []
    linked = set(post.links)
    for other in known_posts:
        if other.url == post.url:
            continue
        om = _PART.search(other.title)
        if om and other.url in linked:
            previous.append(other.url)
        elif om and re.sub(r"\s+", " ", _PART.sub("", other.title).strip(" -–:,()")).lower() == name:
            oraw = next(g for g in om.groups() if g)
            opart = int(oraw) if oraw.isdigit() else _ROMAN.get(oraw.lower())
            if part and opart and opart < part:
                previous.append(other.url)
    return SeriesInfo(name=name, part=part, previous_urls=sorted(set(previous)))


def enrich(post: Post, known_posts: Iterable[Post] = ()) -> Enrichment:
    known = list(known_posts)
    e = Enrichment(canonical_url=canonical_url(post.url))
    buckets = {"code": e.code_links, "model": e.model_links, "dataset": e.dataset_links, "paper": e.paper_links}
    for link in post.links:
        kind = classify_link(link)
        if kind:
            normal = _normal_link(link, kind)
            if normal not in buckets[kind]:
                buckets[kind].append(normal)
    e.series = _series(post, known)
    if e.series is None:
        # "read the previous post": a link from this post to an earlier post of the same blog
        known_urls = {p.url: p for p in known}
        prev = [u for u in post.links if u in known_urls and known_urls[u].published and post.published
                and known_urls[u].published < post.published]
        if prev and _PREVIOUS.search(post.text or ""):
            e.series = SeriesInfo(name=post.title.lower(), part=None, previous_urls=prev[:1])
    return e


def signature(post: Post, e: Enrichment | None) -> list[str]:
    """What copies of one story share whatever their language: their code/paper/model links, their
    figures' file names and the numbers they report."""
    links = set(e.code_links + e.model_links + e.paper_links + e.dataset_links) if e else set()
    figures = {urlsplit(u).path.rsplit("/", 1)[-1] for u in post.images if u}
    numbers = set(re.findall(r"\d+(?:\.\d+)?%|\d{2,}(?:\.\d+)?", post.text or ""))
    return sorted(links | {f"img:{f}" for f in figures if f} | {f"num:{n}" for n in numbers})


def find_duplicates(posts: list[Post], enrichments: dict[int, Enrichment] | None = None,
                    signatures: dict[int, set[str]] | None = None) -> list[dict[int, Enrichment]]:
    """Groups of posts that are the same story (e.g. the English and Korean copies of an AWS post):
    each group maps post id → updated Enrichment; the earliest post is primary, the others get
    ``duplicate_of``, and every member lists the others in ``alternate_urls``.
    Copies share their code links, figures and numbers whatever the language, so the overlap of
    those signatures (Jaccard) is the test; titles are not compared because translation changes them.
    ``signatures`` (post id → signature) spares the posts' texts: outlines are enough then.
    """
    enrichments = enrichments or {}
    sigs = signatures if signatures is not None else \
        {p.id: set(signature(p, enrichments.get(p.id))) for p in posts}
    matches = _similar_pairs(posts, sigs)
    seen: set[int] = set()
    groups = []
    ordered = sorted(posts, key=lambda p: (p.published is None, p.published, p.id))
    rank = {p.id: i for i, p in enumerate(ordered)}
    for a in ordered:
        if a.id in seen or a.id not in matches:
            continue
        members = [a] + [b for b in sorted(matches[a.id], key=lambda b: rank[b.id])
                         if rank[b.id] > rank[a.id] and b.id not in seen]
        if len(members) > 1:
            group = {}
            for m in members:
                base = enrichments.get(m.id) or Enrichment(canonical_url=canonical_url(m.url))
                base.alternate_urls = [o.url for o in members if o.id != m.id]
                base.duplicate_of = None if m is a else a.url
                group[m.id] = base
                seen.add(m.id)
            groups.append(group)
    return groups


def _similar_pairs(posts: list[Post], sigs: dict[int, set[str]]) -> dict[int, list[Post]]:
    """Post id → the posts that may be its copies (other blog or language, close in time, Jaccard of
    signatures ≥ DUPLICATE_MIN_OVERLAP). Prefix filtering finds them without comparing every pair:
    with each signature's elements ordered rarest first, two sets that overlap that much share an
    element among the first |S| − ⌈t·|S|⌉ + 1 of each (a set-similarity join, here because 10,000
    posts make 50 million pairs)."""
    eligible = [p for p in posts if len(sigs.get(p.id, ())) >= 3]
    frequency: dict[str, int] = {}
    for p in eligible:
        for x in sigs[p.id]:
            frequency[x] = frequency.get(x, 0) + 1
    index: dict[str, list[Post]] = {}
    matches: dict[int, list[Post]] = {}
    for a in eligible:
        sa = sigs[a.id]
        ordered = sorted(sa, key=lambda x: (frequency[x], x))
        prefix = ordered[:len(ordered) - math.ceil(DUPLICATE_MIN_OVERLAP * len(ordered)) + 1]
        seen: set[int] = set()
        for x in prefix:
            for b in index.get(x, ()):
                if b.id in seen:
                    continue
                seen.add(b.id)
                if b.source_key == a.source_key and b.lang == a.lang:
                    continue
                if a.published and b.published and abs(b.published - a.published) > DUPLICATE_WINDOW:
                    continue
                sb = sigs[b.id]
                if len(sa & sb) / len(sa | sb) >= DUPLICATE_MIN_OVERLAP:
                    matches.setdefault(a.id, []).append(b)
                    matches.setdefault(b.id, []).append(a)
            index.setdefault(x, []).append(a)
    return matches
