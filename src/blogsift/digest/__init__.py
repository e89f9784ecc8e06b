"""The house digest: parse it, render it (Markdown, HTML, Atom, JSON), publish into it safely.

A digest file is both blogsift's output and its input: ``parse_digest`` reads a house-format file
into entries and ``render_digest`` gives the same bytes back; ``render_markdown`` writes structured
entries by the house rules; ``merge_into`` / ``publish_into`` add new entries to a file a person
edits without touching what they wrote; ``import_digest`` / ``entries_from_store`` /
``render_from_store`` connect it to the store.
"""

from __future__ import annotations

from .atom import render_atom
from .html import render_html
from .jsonout import render_json
from .merge import Conflict, MergeResult, atomic_write, merge_into, publish_into
from .model import (AREA_TITLES, TRACK_TITLES, Digest, DigestEntry, EntryFormat, Header, Heading, Link, RawLine,
                    default_header)
from .parse import parse_digest, parse_entry, render_digest
from .render import machine_entry, render_markdown
from .safety import UnsafeText, escape_title_text, is_http_url, safe_bullet, safe_url
from .storeio import (ImportReport, entries_from_store, header_from_settings, header_lines, import_digest,
                      render_from_store)
from .titles import house_title

#: the result type of ``publish_into`` under its first name
PublishResult = MergeResult

__all__ = [
    "Digest", "DigestEntry", "EntryFormat", "Header", "Heading", "Link", "RawLine", "TRACK_TITLES", "AREA_TITLES",
    "parse_digest", "parse_entry", "render_digest", "render_markdown", "machine_entry", "default_header",
    "house_title", "escape_title_text", "safe_bullet", "safe_url", "is_http_url", "UnsafeText",
    "merge_into", "publish_into", "MergeResult", "PublishResult", "Conflict", "atomic_write",
    "import_digest", "entries_from_store", "render_from_store", "header_from_settings", "header_lines", "ImportReport",
    "render_html", "render_atom", "render_json",
]
