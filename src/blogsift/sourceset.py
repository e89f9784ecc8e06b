"""Seeding the store with the registry: the built-in one on first use, or the one in settings."""

from __future__ import annotations

from .config import Settings
from .sources import builtin_registry, load_registry
from .store import Store

__all__ = ["ensure_registry"]


def ensure_registry(store: Store, settings: Settings) -> int:
    """Put the registry's sources into an empty store; returns how many were added.

    A store is seeded once (remembered in the store), so a source the user removed never comes back
    on its own.
    """
    if store.get_document("registry_seeded") is not None or store.list_sources():
        return 0
    sources = load_registry(settings.registry) if settings.registry else builtin_registry()
    for s in sources:
        store.upsert_source(s)
    store.put_document("registry_seeded", settings.registry or "built-in")
    return len(sources)
