"""The digest as JSON: the header and every entry with its fields, links and plain-text title."""

from __future__ import annotations

import json

from .model import Digest, DigestEntry
from .views import view_of

__all__ = ["render_json", "JSON_VERSION"]

#: bumped when a field changes meaning
JSON_VERSION = 1


def render_json(digest_or_entries: Digest | list[DigestEntry], *, header: list[str] | None = None) -> str:
    view = view_of(digest_or_entries, header=header)
    entries = []
    for track in view.tracks:
        for area in track.areas:
            for ev in area.entries:
                e = ev.entry
                entries.append({
                    "track": e.track, "area": e.area, "section": area.number, "month": e.month, "org": e.org,
                    "title_md": e.title_md, "title": ev.title_text, "url": e.url, "bullets": list(e.bullets),
                    "images": [dict(i) for i in e.images], "links": [link.as_dict() for link in e.links],
                })
    doc = {"version": JSON_VERSION, "title": view.title, "note": view.note, "criteria": view.criteria,
           "entries": entries, "refused": [{"url": u, "reason": r} for u, r in view.refused]}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
