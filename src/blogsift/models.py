"""Typed records that flow through the pipeline.

Each stage takes records and returns records (or drops one with a reason); the store persists them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

__all__ = [
    "TRACKS",
    "AREAS",
    "Track",
    "Area",
    "Source",
    "FeedItem",
    "Post",
    "Enrichment",
    "SeriesInfo",
    "Classification",
    "Score",
    "Summary",
    "Decision",
]

Track = Literal["research", "business", "aws"]
Area = Literal["cv", "nlp", "recsys_etc", "training_inference_mlops"]

#: tracks in digest order; the position + 1 is the section number
TRACKS: tuple[str, ...] = ("research", "business", "aws")
#: areas in their fixed order; the position + 1 is the subsection number (``N.4.`` is always MLOps)
AREAS: tuple[str, ...] = ("cv", "nlp", "recsys_etc", "training_inference_mlops")

SOURCE_KINDS = ("company", "research", "individual", "project")


@dataclass
class Source:
    """A blog that blogsift watches (one row of the registry)."""

    key: str                      # stable slug, e.g. "google-research"
    name: str                     # display name, e.g. "Google Research"
    feed_url: str
    home_url: str = ""
    org: str | None = None        # org shown in entry lines; None for individuals/projects
    kind: str = "company"         # one of SOURCE_KINDS
    lang: str = "en"              # "en" | "ko" | ...
    aws: bool = False             # an AWS ML blog (its posts may go to the AWS-only track)
    reputation: float = 0.5       # 0..1 prior on the quality of the source
    enabled: bool = True
    #: how past posts can be found when the feed no longer lists them (``discovery.py``), e.g.
    #: ``{methods = ["sitemap"], sitemap = "https://…/post-sitemap.xml", post_url_pattern = "/blog/"}``;
    #: empty: try robots.txt sitemaps, /sitemap.xml and a WordPress-style paged feed
    discovery: dict = field(default_factory=dict)


@dataclass
class FeedItem:
    """One entry as a feed lists it, before the page is fetched."""

    url: str
    title: str
    published: datetime | None = None
    author: str | None = None
    guid: str | None = None
    summary_html: str = ""        # <description>/<summary>
    content_html: str = ""        # <content:encoded>/<content>, often the full post


@dataclass
class Post:
    """A post with its extracted article."""

    url: str
    title: str
    source_key: str
    published: datetime | None = None
    author: str | None = None
    lang: str = "en"
    text: str = ""                # main text, plain
    html: str = ""                # cleaned article HTML when available (links, images), not stored in full
    images: list[str] = field(default_factory=list)   # absolute image URLs in the article
    links: list[str] = field(default_factory=list)    # absolute outgoing links in the article
    figures: list[dict] = field(default_factory=list)  # key-figure candidates found on the page (figures.py)
    extraction: str = "page"      # "page" | "feed" (fallback to the feed's own content) | "title-only"
    extraction_note: str = ""     # why a fallback happened
    guid: str | None = None
    id: int | None = None         # store id, once stored


@dataclass
class SeriesInfo:
    name: str                     # normalised series title
    part: int | None = None       # 1, 2, ... when known
    previous_urls: list[str] = field(default_factory=list)   # earlier parts / "previous post" links


@dataclass
class Enrichment:
    canonical_url: str
    code_links: list[str] = field(default_factory=list)      # GitHub, GitLab, ...
    model_links: list[str] = field(default_factory=list)     # Hugging Face models, checkpoints
    dataset_links: list[str] = field(default_factory=list)
    paper_links: list[str] = field(default_factory=list)     # arXiv, ...
    series: SeriesInfo | None = None
    duplicate_of: str | None = None     # URL of the post this one repeats (e.g. the English original)
    alternate_urls: list[str] = field(default_factory=list)  # other language copies of the same story


@dataclass
class Classification:
    in_scope: bool
    in_scope_conf: float
    track: str
    track_conf: float
    area: str
    area_conf: float
    model: str = "unknown"        # what produced it, e.g. "classifier:v1"
    version: int = field(default=0, compare=False)   # the store row's version when read (0: not from the store)


@dataclass
class Score:
    total: float                                   # 0..1, higher is more important/popular
    breakdown: dict[str, float] = field(default_factory=dict)  # signal -> weighted contribution
    reasons: list[str] = field(default_factory=list)           # human-readable lines
    model: str = "ranker:v1"


@dataclass
class Summary:
    bullets: list[str]            # bullet texts without the "    * " prefix, house notation
    author: str                   # "extractive" | "llm:<model>" | "person:<name>"
    lang: str = "ko"
    note: str = ""                # why there is no summary, when there is none (not stored)
    version: int = field(default=0, compare=False)   # the store row's version when read (0: not from the store)

    @property
    def by_person(self) -> bool:
        return self.author.startswith("person")


@dataclass
class Decision:
    """A person's (or the importer's) decision about a post; kept forever, newest wins."""

    url: str
    action: str                   # accept | reject | move | edit_title | edit_summary
    author: str                   # "person:<name>" | "import:<file>"
    payload: dict = field(default_factory=dict)   # e.g. {"track": ..., "area": ...}, {"bullets": [...]}
    at: datetime | None = None
