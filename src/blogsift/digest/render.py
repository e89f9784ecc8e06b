"""Rendering the house Markdown from structured entries (the machine path).

The rules are DIGEST_FORMAT.md's: tracks in order, areas numbered by their fixed index, empty areas
and tracks left out, a blank line after each area's entries (the file itself ends right after the
last entry, with one newline) and none between a track heading and its first area heading, entries
newest month first and then in acceptance order (``seq``), the org left out on the AWS track.
"""

from __future__ import annotations

import re

from ..errors import DigestFormatError
from ..models import AREAS, TRACKS
from .model import (AREA_TITLES, MONTHS, TRACK_TITLES, DigestEntry, area_heading, default_header,
                    track_heading)
from .safety import UnsafeText, safe_bullet, safe_image_src, safe_url

__all__ = ["render_markdown", "machine_entry", "house_order", "TRACK_TITLES", "AREA_TITLES", "MONTHS",
           "default_header", "area_lines", "one_line_title", "check_place"]


def house_order(entries: list[DigestEntry]) -> list[DigestEntry]:
    """Newest month first; within a month, acceptance order (stable across re-renders)."""
    return sorted(entries, key=lambda e: (-int(e.month.replace("-", "")), e.seq))


def machine_entry(entry: DigestEntry) -> DigestEntry:
    """The entry as the machine renders it: house canon (no format quirks), org left out on the AWS
    track, web text made safe. Raises ``UnsafeText`` for an entry URL that is not http(s)."""
    url = safe_url(entry.url)
    if url is None:
        raise UnsafeText(f"entry URL is not an http(s) URL: {entry.url[:80]!r}")
    images = [{"alt": i.get("alt", ""), "src": src} for i in entry.images
              if (src := safe_image_src(i.get("src", "")))]
    images = [{"alt": safe_bullet(i["alt"]).replace("[", "\\[").replace("]", "\\]"), "src": i["src"]}
              for i in images]
    org = " ".join((entry.org or "").replace("(", " ").replace(")", " ").split()) or None
    return DigestEntry(track=entry.track, area=entry.area, month=entry.month, title_md=one_line_title(entry.title_md),
                       url=url, org=None if entry.track == "aws" else org,
                       bullets=[b for b in (safe_bullet(x) for x in entry.bullets) if b], images=images,
                       seq=entry.seq)


def one_line_title(title_md: str) -> str:
    """A title (Markdown with emphasis) kept on one line and unable to hold a link or HTML: every
    bracket and angle bracket not already escaped is escaped; emphasis is left alone."""
    title = " ".join((title_md or "").split())
    return re.sub(r"\\.|([\[\]<>])", lambda m: "\\" + m.group(1) if m.group(1) else m.group(0), title)


def check_place(entry: DigestEntry) -> None:
    if entry.track not in TRACKS or entry.area not in AREAS:
        raise DigestFormatError(f"entry {entry.url} has no place in the digest: track {entry.track!r}, "
                                f"area {entry.area!r} (tracks: {', '.join(TRACKS)}; areas: {', '.join(AREAS)})")
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", entry.month or ""):
        raise DigestFormatError(f"entry {entry.url} has no month like 2023-01: {entry.month!r}")


def _as_rendered(entry: DigestEntry) -> DigestEntry:
    # an entry read from a file (it has a format) renders exactly as it was written
    return entry if entry.fmt is not None else machine_entry(entry)


def area_lines(track: str, area: str, entries: list[DigestEntry]) -> list[str]:
    """An area's heading and its entries in house order (without the blank line that ends it)."""
    lines = [area_heading(track, area)]
    for e in house_order(entries):
        lines.extend(_as_rendered(e).lines())
    return lines


def render_markdown(entries: list[DigestEntry], header: list[str] | None = None) -> str:
    """The whole digest of ``entries`` in the house Markdown; ``header`` is the list of header lines
    (default: the built-in Korean header)."""
    for e in entries:
        check_place(e)
    lines = list(header if header is not None else default_header())
    blocks: list[list[str]] = []
    for track in TRACKS:
        in_track = [e for e in entries if e.track == track]
        first = True
        for area in AREAS:
            in_area = [e for e in in_track if e.area == area]
            if not in_area:
                continue
            block = ([track_heading(track)] if first else []) + area_lines(track, area, in_area)
            blocks.append(block)
            first = False
    if blocks:
        lines.append("")
        for i, block in enumerate(blocks):
            lines.extend(block)
            if i < len(blocks) - 1:
                lines.append("")
    return "\n".join(lines) + "\n" if lines else ""
