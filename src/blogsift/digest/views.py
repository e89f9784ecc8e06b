"""What the HTML, Atom and JSON outputs share: entries grouped by track and area, made safe.

Inline Markdown (title emphasis, bullet links and code) becomes HTML through markdown-it-py with
raw HTML disabled and only http(s) links allowed, so nothing a web page wrote can run in a reader.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt

from ..models import AREAS, TRACKS
from .model import AREA_TITLES, DEFAULT_TITLE, TRACK_TITLES, Digest, DigestEntry, default_header, month_label
from .render import house_order, machine_entry
from .safety import UnsafeText, is_http_url

__all__ = ["DigestView", "view_of", "inline_html", "plain_text"]

#: largest local image embedded into the HTML page (bytes); larger ones are left out
MAX_EMBEDDED_IMAGE = 2_000_000
_IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
                ".webp": "image/webp"}

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.validateLink = lambda url: is_http_url(url)   # links and images: http(s) only, never script


def inline_html(markdown: str) -> str:
    """One line of inline Markdown as safe HTML (raw HTML shown as text, non-http links dropped)."""
    return _md.renderInline(markdown or "")


def plain_text(markdown: str) -> str:
    """The text a reader sees of inline Markdown: emphasis marks and escapes removed, links as their text."""
    tokens = _md.parseInline(markdown or "")
    out: list[str] = []
    for tok in tokens:
        for child in tok.children or []:
            if child.type in ("text", "code_inline"):
                out.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                out.append(" ")
    return "".join(out)


@dataclass
class EntryView:
    entry: DigestEntry
    title_html: str
    title_text: str
    date: str
    bullets_html: list[str]
    images: list[dict]            # {"alt", "data_uri"}


@dataclass
class AreaView:
    number: str
    name: str
    entries: list[EntryView] = field(default_factory=list)


@dataclass
class TrackView:
    number: str
    name: str
    areas: list[AreaView] = field(default_factory=list)


@dataclass
class DigestView:
    title: str
    note: str
    criteria: list[str]
    tracks: list[TrackView]
    refused: list[tuple[str, str]]

    @property
    def entries(self) -> list[EntryView]:
        return [e for t in self.tracks for a in t.areas for e in a.entries]


def _image(img: dict, base_dir: Path | None) -> dict | None:
    src = img.get("src", "")
    if base_dir is None or re.match(r"^[a-z][a-z0-9+.-]*:", src, re.I) or src.startswith("/"):
        return None   # remote figures would be an external asset: the page stays self-contained
    path = (base_dir / src).resolve()
    if base_dir.resolve() not in path.parents or path.suffix.lower() not in _IMAGE_TYPES or not path.is_file():
        return None
    if path.stat().st_size > MAX_EMBEDDED_IMAGE:
        return None
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return {"alt": plain_text(img.get("alt", "")), "data_uri": f"data:{_IMAGE_TYPES[path.suffix.lower()]};base64,{data}"}


def view_of(digest_or_entries: Digest | list[DigestEntry], *, base_dir: Path | None = None,
            header: list[str] | None = None) -> DigestView:
    """Group and make safe: a parsed ``Digest`` keeps its file order, a list of entries gets house order."""
    if isinstance(digest_or_entries, Digest):
        entries = digest_or_entries.entries
        lines = digest_or_entries.header.lines
    else:
        entries = house_order(list(digest_or_entries))
        lines = header if header is not None else default_header()
    from .model import Header
    head = Header(lines=list(lines))
    refused: list[tuple[str, str]] = []
    tracks: list[TrackView] = []
    for t_index, track in enumerate(TRACKS, 1):
        tv = TrackView(number=str(t_index), name=TRACK_TITLES[track])
        for a_index, area in enumerate(AREAS, 1):
            av = AreaView(number=f"{t_index}.{a_index}", name=AREA_TITLES[area])
            for e in entries:
                if (e.track, e.area) != (track, area):
                    continue
                try:
                    safe = e if e.fmt is not None and is_http_url(e.url) else machine_entry(e)
                except UnsafeText as exc:
                    refused.append((e.url, str(exc)))
                    continue
                org = f", {safe.org}" if safe.org else ""
                av.entries.append(EntryView(
                    entry=safe, title_html=inline_html(safe.title_md), title_text=plain_text(safe.title_md),
                    date=f"{month_label(safe.month)}{org}", bullets_html=[inline_html(b) for b in safe.bullets],
                    images=[v for v in (_image(i, base_dir) for i in safe.images) if v]))
            if av.entries:
                tv.areas.append(av)
        if tv.areas:
            tracks.append(tv)
    return DigestView(title=head.title or DEFAULT_TITLE, note=head.note or "", criteria=head.criteria,
                      tracks=tracks, refused=refused)
