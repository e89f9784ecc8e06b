"""When to poll a feed next: an interval that follows the blog's publishing rate and the server's hints.

A feed lists only its newest N entries. If more than N posts appear between two polls, the oldest of
them were never listed when we looked: they are missed. The interval is therefore the longest one
after which more than N new posts have appeared with a probability of at most ``watch.miss_probability``
(one in a million by default), inside the bounds the settings give:

* posts are counted as a Poisson process whose rate is known only from what was seen: k posts over a
  span of time. The count in the next interval is then negative binomial (the Poisson count averaged
  over the rates k posts in that span leave possible), whose tail is heavier the fewer posts were
  seen: a feed of 10 entries is polled at about a ninth of its fill time, a blog whose two weeks of
  history hold hundreds of posts at about a sixth. Negative binomial counts also fit publishing that
  comes in bursts better than a plain Poisson count, so the bound holds on real blogs with margin;
* the rate is judged three ways, and the shortest interval wins: the feed's entries, their newer half
  (a blog speeding up: a launch week, a conference) and the source's stored posts of the last
  ``HISTORY_DAYS`` (a quiet morning in a busy blog's feed). Each counts the posts after its oldest one
  up to now, so a blog that stopped posting slows its polling down;
* ``Cache-Control: max-age`` and RSS ``<ttl>`` say how long the feed stays the same; polling sooner
  would only fetch the same bytes, so the interval is at least that, unless that would let the feed
  overflow (capped at the feed's expected fill time);
* ``Retry-After`` (on 429/503) is an order, not a hint: the next poll waits at least that long, but
  never longer than the maximum interval (a Retry-After of a year is reported and bounded, not obeyed);
* a failed poll backs off exponentially from the minimum interval, capped by the maximum.

Polling this often is cheap: a feed with nothing new answers a conditional GET with 304 and no body.
Pure functions: the caller passes the time, so a simulated clock drives them in tests.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from scipy.special import bdtr, betainccinv

__all__ = ["Bounds", "Decision", "FeedWindow", "Rate", "feed_window", "next_interval", "failure_interval",
           "server_hints", "history_rate", "safe_interval_s", "HISTORY_DAYS"]

#: how far back the source's stored posts give its usual publishing rate
HISTORY_DAYS = 14

#: the rate of a feed with a single dated entry, or none, is unknown: poll at the maximum interval
#: until it shows two entries (a blog with one post in its feed is not a busy blog)
MIN_ENTRIES_FOR_RATE = 2
#: past this many posts seen, more make no difference to the interval (the count is all but Poisson)
MAX_EVENTS = 2000
#: how unlikely at one steady pace the feed's newer half must be to count as a blog speeding up
SPEEDUP_SIGNIFICANCE = 0.01
#: failures back off 2^n times the minimum interval; after this many the maximum is reached anyway
MAX_BACKOFF_EXPONENT = 10
_MAX_AGE = re.compile(r"(?:^|[,\s])(?:s-)?max-age\s*=\s*\"?(\d{1,10})", re.I)


@dataclass(frozen=True)
class Bounds:
    """The settings' limits, in seconds, and the accepted chance that a feed overflows between two polls."""

    min_s: float
    max_s: float
    miss_probability: float

    @classmethod
    def from_settings(cls, watch) -> Bounds:
        return cls(min_s=watch.min_interval_minutes * 60, max_s=watch.max_interval_hours * 3600,
                   miss_probability=watch.miss_probability)


@dataclass(frozen=True)
class Rate:
    """What was seen of a blog's pace: the newest ``posts`` posts, published over the ``span_s`` seconds
    from the oldest of them to now (at a steady pace, the time back to the n-th newest post is gamma
    distributed with shape n, which makes the interval below exact)."""

    posts: int
    span_s: float
    what: str

    @property
    def known(self) -> bool:
        return self.posts >= MIN_ENTRIES_FOR_RATE and self.span_s > 0

    def fill_s(self, entries: int) -> float:
        """The expected time ``entries`` new posts take at this pace."""
        return self.span_s / self.posts * entries


def safe_interval_s(rate: Rate, capacity: int, miss_probability: float) -> float:
    """The longest interval after which more than ``capacity`` new posts have appeared with probability
    ``miss_probability``, given ``rate``: the count in an interval t is negative binomial with
    ``rate.posts`` successes and p = span / (span + t), so P(count > capacity) = 1 - I_p(posts,
    capacity + 1); the p that makes it ``miss_probability`` gives t."""
    posts = min(rate.posts, MAX_EVENTS)
    p = _safe_p(posts, max(1, capacity), miss_probability)
    return rate.span_s * posts / rate.posts * (1 - p) / p


@functools.lru_cache(maxsize=4096)
def _safe_p(posts: int, capacity: int, miss_probability: float) -> float:
    return float(betainccinv(posts, capacity + 1, miss_probability))


def _sped_up(whole: Rate, recent: Rate) -> bool:
    """Whether the newer posts came too fast for one steady pace: at a steady pace the n - 1 posts after
    the feed's oldest fall uniformly over the time since, and the older ones among them (up to the newer
    half's first) would take this much of it with probability P(Binomial(n - 1, older part) < older
    posts); below ``SPEEDUP_SIGNIFICANCE``, the pace changed."""
    older = whole.posts - recent.posts
    if older < 1:
        return False
    older_part = 1 - recent.span_s / whole.span_s
    return float(bdtr(older - 1, whole.posts - 1, older_part)) < SPEEDUP_SIGNIFICANCE


@dataclass(frozen=True)
class FeedWindow:
    """What one poll saw: how many dated entries, the oldest and newest, and the oldest of the newer half."""

    entries: int
    oldest: datetime | None
    newest: datetime | None
    #: the oldest of the newer half of the entries, and how many that half holds, when there are enough
    #: of them to say (a blog speeding up)
    recent_oldest: datetime | None = None
    recent_entries: int = 0

    @property
    def fill_s(self) -> float | None:
        """Seconds the feed takes to fill with new posts at the pace of its entries (None: unknown);
        what ``status`` shows."""
        if self.entries < MIN_ENTRIES_FOR_RATE or self.oldest is None or self.newest is None:
            return None
        span = (self.newest - self.oldest).total_seconds()
        return max(1.0, span / (self.entries - 1) * self.entries)

    def rates(self, now: datetime) -> list[Rate]:
        """The feed's pace counted from its oldest entry up to now, and its newer half's where the feed
        shows the blog sped up."""
        if self.entries < MIN_ENTRIES_FOR_RATE or self.oldest is None:
            return []
        whole = Rate(self.entries, (now - self.oldest).total_seconds(), "feed")
        if not whole.known:
            return []
        if self.recent_entries >= MIN_ENTRIES_FOR_RATE and self.recent_oldest is not None:
            recent = Rate(self.recent_entries, (now - self.recent_oldest).total_seconds(), "newer half of the feed")
            if recent.known and _sped_up(whole, recent):
                return [whole, recent]
        return [whole]

    def days(self, now: datetime) -> float | None:
        """How many days back the feed reaches from ``now`` (what ``status`` shows)."""
        return None if self.oldest is None else max(0.0, (now - self.oldest).total_seconds() / 86400)


def feed_window(published: list[datetime | None], now: datetime) -> FeedWindow:
    """The window of a feed's entries; dates in the future (clock skew, scheduled posts) count as now."""
    dates = sorted(min(d, now) for d in published if d is not None)
    recent = dates[len(dates) // 2:] if len(dates) >= 2 * MIN_ENTRIES_FOR_RATE else []
    return FeedWindow(entries=len(dates), oldest=dates[0] if dates else None,
                      newest=dates[-1] if dates else None,
                      recent_oldest=recent[0] if recent else None, recent_entries=len(recent))


@dataclass(frozen=True)
class Decision:
    interval_s: float
    reason: str

    def next_at(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.interval_s)


def history_rate(posts: int, oldest: datetime | None, now: datetime) -> Rate | None:
    """The pace the source kept over its recent history: ``posts`` stored posts published since
    ``oldest`` (the first of them)."""
    if posts < MIN_ENTRIES_FOR_RATE or oldest is None:
        return None
    rate = Rate(posts, (now - oldest).total_seconds(), f"{HISTORY_DAYS}-day history")
    return rate if rate.known else None


def next_interval(window: FeedWindow, bounds: Bounds, now: datetime, *, hint_s: float | None = None,
                  retry_after_s: float | None = None, history: Rate | None = None) -> Decision:
    """The interval after a successful poll (or a 429/503 carrying ``retry_after_s``): the shortest of
    the safe intervals the feed, its newer half and the source's history give (see the module)."""
    capacity = window.entries
    rates = window.rates(now) + ([history] if history is not None and history.known else [])
    if capacity < MIN_ENTRIES_FOR_RATE or not rates:
        interval, reason, fill = bounds.max_s, "rate unknown (fewer than 2 dated entries)", None
    else:
        interval, rate = min(((safe_interval_s(r, capacity, bounds.miss_probability), r) for r in rates),
                             key=lambda pair: pair[0])
        fill = rate.fill_s(capacity)
        reason = (f"{capacity} entries fill in {_human(fill)} at the pace of the {rate.what} "
                  f"({rate.posts} posts in {_human(rate.span_s)}); overflow before then: "
                  f"< {bounds.miss_probability:g}")
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
