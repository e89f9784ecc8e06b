"""Is a source's coverage of a period complete, or may posts be missing?

Coverage is recorded in the store as intervals of publication time in which every post of a source
is known: a feed read at time *t* whose oldest entry is from *o* covers [o, t] (a feed shorter than
any platform's truncation covers the whole past); a 304 extends the previous poll's interval to now;
a backfill whose discovery listed a whole period covers that period. A period is complete for a
source when the union of its intervals spans it (up to now, for a period that has not ended).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["SourceCoverage", "period_coverage", "holes_in"]


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
