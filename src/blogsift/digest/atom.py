"""The digest as an Atom 1.0 feed (RFC 4287), built with ElementTree so every value is escaped."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from .model import Digest, DigestEntry
from .views import view_of

__all__ = ["render_atom", "ATOM_NS"]

ATOM_NS = "http://www.w3.org/2005/Atom"
#: namespace of the name-based UUIDs used as feed ids when none is given
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/blogsift/blogsift")


def _month_start(month: str) -> datetime:
    year, mon = (int(x) for x in month.split("-"))
    return datetime(year, mon, 1, tzinfo=UTC)


def _stamp(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_atom(digest_or_entries: Digest | list[DigestEntry], *, header: list[str] | None = None,
                feed_id: str | None = None, self_url: str | None = None, author: str = "blogsift") -> str:
    """One Atom ``entry`` per digest entry: id (the post URL), title (plain text), link, updated (the
    first day of the entry's month), category (track / area) and the summary bullets as HTML."""
    view = view_of(digest_or_entries, header=header)
    ET.register_namespace("", ATOM_NS)
    q = lambda tag: f"{{{ATOM_NS}}}{tag}"  # noqa: E731
    feed = ET.Element(q("feed"))
    ET.SubElement(feed, q("id")).text = feed_id or f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, view.title)}"
    ET.SubElement(feed, q("title")).text = view.title
    if view.note:
        ET.SubElement(feed, q("subtitle")).text = view.note
    months = [e.entry.month for e in view.entries]
    updated = max((_month_start(m) for m in months), default=datetime(1970, 1, 1, tzinfo=UTC))
    ET.SubElement(feed, q("updated")).text = _stamp(updated)
    ET.SubElement(ET.SubElement(feed, q("author")), q("name")).text = author
    ET.SubElement(feed, q("generator")).text = "blogsift"
    if self_url:
        ET.SubElement(feed, q("link"), rel="self", href=self_url)
    for track in view.tracks:
        for area in track.areas:
            for ev in area.entries:
                e = ev.entry
                item = ET.SubElement(feed, q("entry"))
                ET.SubElement(item, q("id")).text = e.url
                ET.SubElement(item, q("title"), type="text").text = ev.title_text
                ET.SubElement(item, q("link"), rel="alternate", type="text/html", href=e.url)
                ET.SubElement(item, q("updated")).text = _stamp(_month_start(e.month))
                if e.org:
                    ET.SubElement(ET.SubElement(item, q("author")), q("name")).text = e.org
                ET.SubElement(item, q("category"), term=e.track, label=track.name)
                ET.SubElement(item, q("category"), term=f"{e.track}/{e.area}", label=f"{area.number}. {area.name}")
                summary = "".join(f"<li>{b}</li>" for b in ev.bullets_html)
                ET.SubElement(item, q("summary"), type="html").text = (f"<ul>{summary}</ul>" if summary
                                                                       else ev.title_text)
    ET.indent(feed)
    return ET.tostring(feed, encoding="unicode", xml_declaration=False).join(
        ['<?xml version="1.0" encoding="utf-8"?>\n', "\n"])
