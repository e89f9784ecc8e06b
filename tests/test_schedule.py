"""The polling interval: the chance a feed overflows between two polls stays at what the settings accept,
whatever the blog's pace, and the interval follows a blog that speeds up, slows down or stops."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from blogsift.schedule import Bounds, feed_window, history_rate, next_interval, server_hints

NOW = datetime(2026, 11, 1, tzinfo=UTC)
DAY = 86400.0
BOUNDS = Bounds(min_s=15 * 60, max_s=DAY, miss_probability=1e-6)


def _feed(gaps_h: list[float]) -> list[datetime]:
    """A feed's entries, newest first, ``gaps_h`` hours apart going back from now."""
    out, t = [], NOW
    for gap in gaps_h:
        t -= timedelta(hours=gap)
        out.append(t)
    return out


def test_a_feed_overflows_between_two_polls_no_more_often_than_accepted():
    # blogs at paces from one post a week to 100 a day, each feed holding its newest 10 posts: at the
    # interval chosen from those 10 alone, more than 10 new posts appear about as often as accepted
    rng = random.Random(12)
    accepted, trials = 0.02, 6000
    bounds = Bounds(min_s=1.0, max_s=1e12, miss_probability=accepted)
    overflows = 0
    for _ in range(trials):
        per_day = 10 ** rng.uniform(-1, 2)
        entries = _feed([rng.expovariate(per_day / 24) for _ in range(10)])
        interval = next_interval(feed_window(entries, NOW), bounds, NOW).interval_s
        new, t = 0, rng.expovariate(per_day / DAY)
        while t <= interval:
            new, t = new + 1, t + rng.expovariate(per_day / DAY)
        overflows += new > 10
    assert 0.75 * accepted * trials <= overflows <= 1.25 * accepted * trials, overflows


def test_the_interval_follows_the_blogs_pace():
    busy = next_interval(feed_window(_feed([2] * 10), NOW), BOUNDS, NOW)           # 12 posts a day
    assert 60 * 60 < busy.interval_s < 4 * 3600 and "feed" in busy.reason
    burst = next_interval(feed_window(_feed([1 / 60] * 10), NOW), BOUNDS, NOW)      # 10 posts in 10 minutes
    assert burst.interval_s == 15 * 60 and "minimum" in burst.reason
    weekly = next_interval(feed_window(_feed([24 * 7] * 10), NOW), BOUNDS, NOW)
    assert weekly.interval_s == DAY and "maximum" in weekly.reason
    assert next_interval(feed_window([], NOW), BOUNDS, NOW).interval_s == DAY
    # the same feed two days after its newest post: the blog stopped, so its feed is polled less often
    entries = _feed([2] * 10)
    later = NOW + timedelta(days=2)
    assert next_interval(feed_window(entries, later), BOUNDS, later).interval_s > 3 * busy.interval_s


def test_a_blog_speeding_up_is_polled_for_its_new_pace_and_a_steady_one_is_not():
    # five posts in the last five hours after five over the week before (a launch, a conference)
    sped_up = feed_window(_feed([1] * 5 + [30] * 5), NOW)
    decision = next_interval(sped_up, BOUNDS, NOW)
    assert "newer half" in decision.reason
    assert decision.interval_s < 0.5 * next_interval(feed_window(_feed([13.5] * 10), NOW), BOUNDS, NOW).interval_s
    # a steady blog's newer half is a little faster or slower by chance: the whole feed decides
    steady = feed_window(_feed([1.8, 2.2, 1.9, 2.1, 1.7, 2.3, 2.0, 2.0, 1.9, 2.1]), NOW)
    assert "newer half" not in next_interval(steady, BOUNDS, NOW).reason


def test_a_busy_blogs_quiet_morning_is_polled_at_its_usual_pace():
    quiet = feed_window(_feed([5] * 10), NOW)            # its feed: 10 posts over two days
    usual = history_rate(420, NOW - timedelta(days=14), NOW)   # its last two weeks: 30 a day
    with_history = next_interval(quiet, BOUNDS, NOW, history=usual)
    assert with_history.interval_s < 0.5 * next_interval(quiet, BOUNDS, NOW).interval_s
    assert "history" in with_history.reason
    # many posts seen make the pace certain: about a sixth of the time 10 posts take (vs a ninth from 10)
    assert with_history.interval_s == pytest.approx(usual.fill_s(10) * 0.156, rel=0.02)


def test_the_server_is_honoured_within_bounds():
    busy = feed_window(_feed([2] * 10), NOW)
    plain = next_interval(busy, BOUNDS, NOW)
    # a fresh-for hint longer than the interval is honoured, but never past the feed's fill time
    short_hint = next_interval(busy, BOUNDS, NOW, hint_s=server_hints({"cache-control": "max-age=10800"}))
    assert plain.interval_s < short_hint.interval_s == 10800
    day_hint = next_interval(busy, BOUNDS, NOW, hint_s=server_hints({"cache-control": "public, max-age=86400"}))
    assert day_hint.interval_s == pytest.approx(20 * 3600) and "capped" in day_hint.reason
    assert next_interval(busy, BOUNDS, NOW, hint_s=server_hints({"cache-control": "no-cache, max-age=9999"})) == plain
    year = next_interval(busy, BOUNDS, NOW, retry_after_s=365 * DAY)
    assert year.interval_s == DAY and "maximum" in year.reason
