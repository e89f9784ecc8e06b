"""When to poll a feed next: an interval that follows the blog's publishing rate and the server's hints.

A feed lists only its newest N entries. If more than N posts appear between two polls, the oldest of
them were never listed when we looked: they are missed. The time a feed takes to fill (its *window*:
N entries at the blog's rate) is therefore the longest safe interval. We poll at a fraction of it,
inside the bounds the settings give, and honour what the server asks:

* ``Cache-Control: max-age`` and RSS ``<ttl>`` say how long the feed stays the same; polling sooner
  would only fetch the same bytes, so the interval is at least that, unless that would let the feed
  overflow (the window wins: missing posts is worse than one redundant request);
* ``Retry-After`` (on 429/503) is an order, not a hint: the next poll waits at least that long, but
  never longer than the maximum interval (a Retry-After of a year is reported and bounded, not obeyed);
* a failed poll backs off exponentially from the minimum interval, capped by the maximum.

Pure functions: the caller passes the time, so a simulated clock drives them in tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["Bounds", "Decision", "FeedWindow", "feed_window", "next_interval", "failure_interval",
           "server_hints", "history_fill_s", "HISTORY_DAYS"]

#: how far back the source's stored posts give its usual publishing rate
HISTORY_DAYS = 14

#: the rate of a feed with a single dated entry, or none, is unknown: poll at the maximum interval
#: until it shows two entries (a blog with one post in its feed is not a busy blog)
MIN_ENTRIES_FOR_RATE = 2
#: failures back off 2^n times the minimum interval; after this many the maximum is reached anyway
MAX_BACKOFF_EXPONENT = 10
_MAX_AGE = re.compile(r"(?:^|[,\s])(?:s-)?max-age\s*=\s*\"?(\d{1,10})", re.I)


@dataclass(frozen=True)
class Bounds:
    """The settings' limits, in seconds, and the fraction of the feed window to poll at."""

    min_s: float
    max_s: float
    window_fraction: float

    @classmethod
    def from_settings(cls, watch) -> Bounds:
        return cls(min_s=watch.min_interval_minutes * 60, max_s=watch.max_interval_hours * 3600,
                   window_fraction=watch.window_fraction)


@dataclass(frozen=True)
class FeedWindow:
    """What one poll saw: how many dated entries, the oldest and newest, the rate they imply."""

    entries: int
    oldest: datetime | None
    newest: datetime | None
    #: the newer half of the entries' span, when there are enough of them to say (a blog speeding up)
    recent_span_s: float | None = None
    recent_entries: int = 0

    @property
    def fill_s(self) -> float | None:
        """Seconds the feed takes to fill with new posts at its current rate (None: unknown). The rate
        is the faster of the whole feed's and its newer half's: a blog that speeds up (a launch week,
        a conference) is polled for its new pace at once."""
        if self.entries < MIN_ENTRIES_FOR_RATE or self.oldest is None or self.newest is None:
            return None
        span = (self.newest - self.oldest).total_seconds()
        # N entries published over `span` → one post every span/(N-1); N new posts take N times that
        gap = span / (self.entries - 1)
        if self.recent_span_s is not None and self.recent_entries >= MIN_ENTRIES_FOR_RATE:
            gap = min(gap, self.recent_span_s / (self.recent_entries - 1))
        return max(1.0, gap * self.entries)

    def days(self, now: datetime) -> float | None:
        """How many days back the feed reaches from ``now`` (what ``status`` shows)."""
        return None if self.oldest is None else max(0.0, (now - self.oldest).total_seconds() / 86400)


def feed_window(published: list[datetime | None], now: datetime) -> FeedWindow:
    """The window of a feed's entries; dates in the future (clock skew, scheduled posts) count as now."""
    dates = sorted(min(d, now) for d in published if d is not None)
    recent = dates[len(dates) // 2:] if len(dates) >= 2 * MIN_ENTRIES_FOR_RATE else []
    return FeedWindow(entries=len(dates), oldest=dates[0] if dates else None,
                      newest=dates[-1] if dates else None,
                      recent_span_s=(recent[-1] - recent[0]).total_seconds() if recent else None,
                      recent_entries=len(recent))


@dataclass(frozen=True)
class Decision:
    interval_s: float
    reason: str

    def next_at(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.interval_s)


def history_fill_s(posts: int, span_s: float, entries: int) -> float | None:
    """The time ``entries`` new posts take at the rate the source kept over its recent history
    (``posts`` published over the last ``span_s`` seconds): a quiet morning in a busy blog's feed does
    not stretch its interval past what its usual pace allows."""
    if posts < MIN_ENTRIES_FOR_RATE or span_s <= 0 or entries < MIN_ENTRIES_FOR_RATE:
        return None
    # n posts spread over the span since the oldest of them: one every span/(n-1)
    return span_s / (posts - 1) * entries


def next_interval(window: FeedWindow, bounds: Bounds, *, hint_s: float | None = None,
                  retry_after_s: float | None = None, history_fill: float | None = None) -> Decision:
    """The interval after a successful poll (or a 429/503 carrying ``retry_after_s``). The feed's
    fill time is the shorter of what its entries show and what the source's history shows."""
    fill = window.fill_s
    from_history = history_fill is not None and (fill is None or history_fill < fill)
    if from_history:
        fill = history_fill
    if fill is None:
        interval, reason = bounds.max_s, "rate unknown (fewer than 2 dated entries)"
    else:
        interval = fill * bounds.window_fraction
        reason = f"{bounds.window_fraction:g} × {'usual' if from_history else 'feed'} fill time {_human(fill)}"
    if hint_s is not None and hint_s > interval:
        # a fresh-for hint longer than the feed's fill time would let it overflow: capped at that
        honoured = hint_s if fill is None else min(hint_s, fill)
        if honoured > interval:
            interval = honoured
            reason = f"server says fresh for {_human(hint_s)}" + ("" if honoured == hint_s else
                                                                   f"; capped at the feed fill time {_human(fill)}")
    if interval < bounds.min_s:
        interval, reason = bounds.min_s, reason + f"; raised to the minimum {_human(bounds.min_s)}"
    if interval > bounds.max_s:
        interval, reason = bounds.max_s, reason + f"; capped at the maximum {_human(bounds.max_s)}"
    if retry_after_s is not None and retry_after_s > interval:
        if retry_after_s > bounds.max_s:
            interval = bounds.max_s
            reason = (f"server asked to wait {_human(retry_after_s)} (Retry-After); waiting the maximum "
                      f"{_human(bounds.max_s)} instead")
        else:
            interval, reason = retry_after_s, f"server asked to wait {_human(retry_after_s)} (Retry-After)"
    return Decision(interval, reason)


def failure_interval(consecutive_failures: int, bounds: Bounds, *, retry_after_s: float | None = None) -> Decision:
    """Exponential backoff after a failed poll, within the bounds; Retry-After as in :func:`next_interval`."""
    n = max(0, min(consecutive_failures - 1, MAX_BACKOFF_EXPONENT))
    interval = min(bounds.max_s, bounds.min_s * (2 ** n))
    reason = f"failure #{consecutive_failures}: backing off {_human(interval)}"
    if retry_after_s is not None and retry_after_s > interval:
        interval = min(retry_after_s, bounds.max_s)
        reason = (f"server asked to wait {_human(retry_after_s)} (Retry-After)"
                  + ("" if retry_after_s <= bounds.max_s else f"; waiting the maximum {_human(bounds.max_s)}"))
    return Decision(interval, reason)


def server_hints(headers: dict[str, str], ttl_minutes: float | None = None) -> float | None:
    """Seconds the server says the feed stays fresh: Cache-Control max-age, else RSS ``<ttl>``.
    ``no-cache``/``no-store`` say nothing about the publishing rate and give no hint."""
    cache_control = headers.get("cache-control", "")
    m = _MAX_AGE.search(cache_control)
    if m and "no-cache" not in cache_control.lower() and "no-store" not in cache_control.lower():
        return float(m.group(1))
    if ttl_minutes is not None and ttl_minutes > 0:
        return ttl_minutes * 60
    return None


def _human(seconds: float) -> str:
    if seconds >= 86400 * 2:
        return f"{seconds / 86400:.1f} d"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.0f} min"
