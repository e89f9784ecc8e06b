"""Writing the digest from the store: a fresh file, or a merge into the file a person keeps."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .config import Settings
from .store import Store

if TYPE_CHECKING:
    from .digest import MergeResult

__all__ = ["write_digest"]


def write_digest(store: Store, settings: Settings, path: Path, *, month: str | None = None,
                 force: bool = False) -> "MergeResult":
    """Write the accepted entries as the house Markdown to ``path``.

    When ``path`` already exists, the new entries are merged into it and every hand edit is kept
    (see ``digest.publish_into``); otherwise the whole digest is rendered. Writing is atomic, and
    only over the file that was read. Returns what the merge did (``.text``: the digest written).
    """
    from .digest import entries_from_store, publish_into

    entries = entries_from_store(store, month=month)
    return publish_into(Path(path), entries, store=store, settings=settings, force=force)
