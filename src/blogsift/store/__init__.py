"""The store: every piece of state blogsift keeps, behind one data-access layer.

SQLite (one file, WAL) by default, PostgreSQL for a team server: the same SQLAlchemy Core schema and
code for both. Every write commits its own transaction, so a run killed at any point leaves a
consistent store and the next run resumes from what was committed.

Nothing is silently overwritten: a person's summary is never replaced by a machine's (``put_summary``
refuses), decisions are append-only, and each produced record says what produced it and when.

One module per concern, over the connection layer of ``schema``: ``sources`` (registry rows, HTTP
validators), ``posts`` (posts and produced results), ``entries`` (digest entries, summaries, decisions),
``runs`` (and the run lock), ``cache`` (cache and documents), ``figures`` (figure candidates of posts),
``watch`` (polling schedule, coverage of periods).
"""

from __future__ import annotations

from .cache import CacheRows
from .entries import EntryRows
from .figures import FigureRows
from .posts import PostRows
from .runs import RunRows
from .schema import SCHEMA_VERSION, MIGRATIONS, StoreBase, metadata, utcnow
from .sources import SourceRows
from .watch import WatchRows

__all__ = ["Store", "SCHEMA_VERSION", "MIGRATIONS", "metadata", "utcnow"]


class Store(SourceRows, PostRows, EntryRows, FigureRows, RunRows, CacheRows, WatchRows, StoreBase):
    """All of blogsift's state. ``Store("sqlite:///path.db")`` or a PostgreSQL URL."""
