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
                 force: bool = False, notes: list[str] | None = None) -> "MergeResult":
    """Write the accepted entries as the house Markdown to ``path``.

    First the entries get their key figures (``digest.images``, or a person's pick in the review app),
    saved under ``images/`` beside ``path``; a figure refused is added to ``notes``. When ``path``
    already exists, the new entries are merged into it and every hand edit is kept (see
    ``digest.publish_into``); otherwise the whole digest is rendered. Writing is atomic, and only over
    the file that was read. Returns what the merge did (``.text``: the digest written).
    """
    from .digest import entries_from_store, publish_into
    from .figures import attach_figures

    figures = attach_figures(store, settings, Path(path).parent / "images", month=month)
    if notes is not None:
        notes.extend(figures.notes)
    entries = entries_from_store(store, month=month)
    return publish_into(Path(path), entries, store=store, settings=settings, force=force)
