"""The house digest: render structured entries as the house Markdown, write it safely.

Public API: ``DigestEntry``, ``render_markdown``, ``house_title``, ``entries_from_store``,
``publish_into``, ``default_header``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DigestFormatError
from .render import DigestEntry, atomic_write, default_header, render_markdown
from .safety import clean_inline, safe_url
from .titles import house_title

__all__ = ["DigestEntry", "render_markdown", "default_header", "house_title", "entries_from_store",
           "publish_into", "PublishResult", "header_from_settings"]

#: store document holding the text blogsift last wrote to a digest file (the base for the next merge)
PUBLISHED_DOC = "published:{path}"


@dataclass
class PublishResult:
    text: str
    added: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def entries_from_store(store, month: str | None = None) -> list[DigestEntry]:
    out = []
    for e in store.list_entries():
        if month and e["month"] != month:
            continue
        out.append(DigestEntry(track=e["track"], area=e["area"], month=e["month"], title_md=e["title_md"],
                               url=e["url"], org=e["org"], bullets=[clean_inline(b) for b in e["bullets"]],
                               images=e["images"], seq=e["seq"]))
    return out


def header_from_settings(settings) -> list[str]:
    d = settings.digest if settings is not None else None
    if d is None:
        return default_header()
    return default_header(d.title, d.note, d.criteria)


def publish_into(path: Path, entries: list[DigestEntry], *, store=None, settings=None,
                 force: bool = False) -> PublishResult:
    """Write the digest to ``path`` atomically, keeping the previous file as ``PATH.bak``.

    A file that differs from what blogsift last wrote there holds a person's edits: it is never
    overwritten; the error says so and where the new digest can go instead. ``force`` overwrites
    anyway (the demo does, into its own output file); the previous file is still kept as ``PATH.bak``.
    """
    path = Path(path)
    text = render_markdown(entries, header_from_settings(settings))
    key = PUBLISHED_DOC.format(path=str(path.resolve()))
    if path.exists() and store is not None and not force:
        current = path.read_text(encoding="utf-8")
        last = store.get_document(key)
        if current != text and current != last:
            raise DigestFormatError(
                f"{path} was edited since blogsift last wrote it; not overwriting a person's edits "
                f"(write to another file with --output)", path=str(path))
    atomic_write(path, text)
    if store is not None:
        store.put_document(key, text)
    return PublishResult(text=text, added=[e.url for e in entries])
