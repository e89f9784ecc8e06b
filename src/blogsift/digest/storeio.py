"""The digest and the store: import a digest file as accepted entries, render the store back.

Importing keeps each entry's Markdown as written (``raw_md``) and its format details (``extra``),
plus the whole file as the document ``digest_layout`` (headings, blank lines and notes where the
person put them) and its header as ``digest_header``. Rendering right after an import therefore
gives the file back byte for byte; entries edited since (through the review app or the CLI) are
rendered from their fields, entries accepted since are placed by the ordering rules, and entries
rejected since are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DigestFormatError
from ..models import Decision, Summary
from .merge import PUBLISHED_DOC, drop_entry, place_entry, read_digest_text
from .model import DigestEntry, EntryFormat, base_id_of, default_header
from .parse import parse_digest, parse_entry, render_digest
from .render import machine_entry, render_markdown

__all__ = ["import_digest", "entries_from_store", "render_from_store", "header_from_settings", "ImportReport",
           "HEADER_DOC", "LAYOUT_DOC", "IMPORT_AUTHOR", "header_lines"]

HEADER_DOC = "digest_header"
LAYOUT_DOC = "digest_layout"
#: who wrote an imported entry's summary: a person, through the file
IMPORT_AUTHOR = "person:import"


@dataclass
class ImportReport:
    path: str
    entries: int = 0
    new: int = 0
    summaries: int = 0          # posts already in the store that got the person's summary
    notes: list[tuple[int, str]] = field(default_factory=list)   # lines kept verbatim (not entries)


def header_from_settings(settings) -> list[str]:
    d = getattr(settings, "digest", None)
    if d is None:
        return default_header()
    return default_header(d.title, d.note, d.criteria)


def header_lines(store, settings=None) -> list[str]:
    """The header of an imported digest if there is one, else the configured (or built-in) one."""
    stored = store.get_document(HEADER_DOC) if store is not None else None
    if stored is not None:
        # the base id names one published file, not the header a new file gets
        return [ln for ln in stored.replace("\r\n", "\n").split("\n") if not base_id_of(ln)] if stored else []
    return header_from_settings(settings)


def import_digest(store, path: str | Path) -> ImportReport:
    """Store every entry of the digest at ``path`` as accepted and human-authored.

    Raises ``DigestFormatError`` (with every offending line) if any part of the file could not be
    reproduced exactly; nothing is stored then.
    """
    path = Path(path)
    text = read_digest_text(path)
    digest = parse_digest(text, str(path), strict=True)
    report = ImportReport(path=str(path), entries=len(digest.entries), notes=list(digest.unknown_lines))
    author = f"import:{path.name}"
    for e in digest.entries:
        existed = store.get_entry(e.url) is not None
        store.upsert_entry({
            "url": e.url, "track": e.track, "area": e.area, "month": e.month, "org": e.org,
            "title_md": e.title_md, "bullets": list(e.bullets), "images": [dict(i) for i in e.images],
            "raw_md": "\n".join(e.raw_lines or e.lines()), "origin": "import", "status": "accepted",
            "summary_author": IMPORT_AUTHOR,
            "extra": {"format": (e.fmt or EntryFormat()).as_dict(), "line": e.lineno, "file": path.name,
                      "links": [link.as_dict() for link in e.links]},
        })
        report.new += not existed
        if not any(d.action == "accept" and d.author == author for d in store.decisions_for(e.url)):
            store.add_decision(Decision(url=e.url, action="accept", author=author,
                                        payload={"track": e.track, "area": e.area, "line": e.lineno}))
        post = store.get_post(e.url)
        if post is not None and post.id is not None and e.bullets:
            report.summaries += bool(store.put_summary(post.id, Summary(bullets=list(e.bullets),
                                                                        author=IMPORT_AUTHOR)))
    store.put_document(HEADER_DOC, digest.newline.join(digest.header.lines))
    store.put_document(LAYOUT_DOC, text)
    # what the store now holds of this file is exactly the file: the base of a later publish into it
    store.put_document(PUBLISHED_DOC.format(key=str(path.resolve())), text)
    if digest.base_id:
        store.put_document(PUBLISHED_DOC.format(key=digest.base_id), text)
    return report


def _entry_of(row: dict) -> DigestEntry:
    fields = DigestEntry(track=row["track"], area=row["area"], month=row["month"], title_md=row["title_md"],
                         url=row["url"], org=row["org"], bullets=list(row["bullets"]),
                         images=[{"alt": i.get("alt", ""), "src": i.get("src", "")} for i in row["images"]],
                         seq=row["seq"])
    if row.get("raw_md"):
        try:
            raw = parse_entry(row["raw_md"].split("\n"), row["track"], row["area"])
        except ValueError:
            return fields
        raw.seq = row["seq"]
        if raw.fields() == fields.fields():
            return raw   # unchanged since it was read: exactly as the person wrote it
    return fields


def entries_from_store(store, month: str | None = None) -> list[DigestEntry]:
    """The accepted entries (of one ``YYYY-MM`` month), each as written when unchanged since import."""
    return [_entry_of(row) for row in store.list_entries() if not month or row["month"] == month]


def render_from_store(store, settings=None, month: str | None = None) -> str:
    """The digest of the store's accepted entries as the house Markdown.

    After an import, the imported file is the layout: unchanged entries keep their bytes, notes and
    headings stay where they were. For one ``month``, or with nothing imported, the house rules alone.
    """
    entries = entries_from_store(store, month)
    layout = store.get_document(LAYOUT_DOC)
    if month or layout is None:
        return render_markdown(entries, header_lines(store, settings))
    try:
        doc = parse_digest(layout, strict=False)
    except DigestFormatError:
        return render_markdown(entries, header_from_settings(settings))
    current = {e.url: (e if e.fmt is not None else machine_entry(e)) for e in entries}
    for old in list(doc.entries):
        new = current.pop(old.url, None)
        if new is None:
            drop_entry(doc, old.url)
        elif (new.track, new.area) == (old.track, old.area):
            doc.nodes[doc.nodes.index(old)] = new
        else:
            drop_entry(doc, old.url)
            current[new.url] = new
    for e in sorted(current.values(), key=lambda x: (-int(x.month.replace("-", "")), x.seq)):
        place_entry(doc, e)
    return render_digest(doc)
