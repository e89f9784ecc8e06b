"""Is a source's coverage of a period complete, or may posts be missing?

Coverage is recorded in the store as intervals of publication time in which every post of a source
is known: a feed read at time *t* whose oldest entry is from *o* covers [o, t] (a feed shorter than
any platform's truncation covers the whole past); a 304 extends the previous poll's interval to now;
a backfill whose discovery listed a whole period covers that period. A period is complete for a
source when the union of its intervals spans it (up to now, for a period that has not ended).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = ["SourceCoverage", "period_coverage", "holes_in", "feed_coverage", "not_modified_coverage", "record_feed",
           "record_not_modified", "FULL_FEED_MIN", "BEGINNING"]

#: the smallest number of entries a blog platform truncates its feed to (WordPress and Medium 10,
#: Ghost 15, Blogger 25): a feed with fewer entries lists every post the blog has
FULL_FEED_MIN = 10
#: coverage start of a feed that lists every post the blog has
BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)


def feed_coverage(published: list[datetime | None], entries: int, now: datetime) -> tuple[datetime, datetime, str] | None:
    """What a feed read at ``now`` covers: (start, end, method), or None when it proves nothing."""
    dates = [min(d, now) for d in published if d is not None]
    if entries >= FULL_FEED_MIN and not dates:
        return None  # a full feed without dates proves nothing about the past
    return (min(dates) if dates and entries >= FULL_FEED_MIN else BEGINNING), now, "feed"


def not_modified_coverage(last_read: datetime | None, now: datetime) -> tuple[datetime, datetime, str] | None:
    """A 304: the feed is the one read at ``last_read``, so nothing was published since then."""
    return (last_read, now, "feed") if last_read is not None else None


def record_feed(store, key: str, published: list[datetime | None], entries: int, now: datetime) -> None:
    covered = feed_coverage(published, entries, now)
    if covered is not None:
        store.add_coverage(key, *covered)


def record_not_modified(store, key: str, last_read: datetime | None, now: datetime) -> None:
    covered = not_modified_coverage(last_read, now)
    if covered is not None:
        store.add_coverage(key, *covered)


@dataclass
class SourceCoverage:
    source: str
    complete: bool
    holes: list[tuple[datetime, datetime]] = field(default_factory=list)
    methods: str = ""

    def describe(self) -> str:
        if self.complete:
            return f"complete ({self.methods})"
        spans = ", ".join(f"{a:%Y-%m-%d %H:%M} → {b:%Y-%m-%d %H:%M}" for a, b in self.holes[:3])
        more = f" and {len(self.holes) - 3} more" if len(self.holes) > 3 else ""
        return f"may have holes: nothing covers {spans}{more}"


def holes_in(intervals: list[tuple[datetime, datetime, str]], since: datetime,
             until: datetime) -> list[tuple[datetime, datetime]]:
    """The parts of [since, until) that no interval covers."""
    holes, cursor = [], since
    for start, end, _ in sorted(intervals):
        if end <= cursor:
            continue
        if start > cursor:
            holes.append((cursor, min(start, until)))
        cursor = max(cursor, end)
        if cursor >= until:
            break
    if cursor < until:
        holes.append((cursor, until))
    return [(a, b) for a, b in holes if b > a]


def period_coverage(store, since: datetime, until: datetime, now: datetime,
                    keys: list[str] | None = None) -> list[SourceCoverage]:
    """Per enabled source (or ``keys``), whether [since, min(until, now)) is covered."""
    end = min(until, now)
    intervals = store.coverage()
    keys = keys if keys is not None else [s.key for s in store.list_sources(enabled_only=True)]
    out = []
    for key in keys:
        mine = intervals.get(key, [])
        holes = holes_in(mine, since, end) if end > since else []
        methods = "+".join(sorted({part for _, _, how in mine for part in how.split("+")})) or "never fetched"
        out.append(SourceCoverage(key, complete=not holes, holes=holes, methods=methods))
    return out
