"""Quality gate on real posts (the corpus beside the repository, run by ``make eval``): the extractive summaries meet
their targets and beat the lead-3 baseline of the same run on every judge of note-worthiness."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def figures() -> dict:
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "summaries.py"), "--json"], capture_output=True,
                         text=True, cwd=ROOT, timeout=1200)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_summaries_meet_their_targets(figures):
    assert figures["posts"] >= 250
    assert figures["posts_with_bullets"] >= 0.95
    assert figures["numbers_faithful"] == 1.0
    assert figures["fragments"] == figures["code_lines"] == figures["marker_bullets"] == 0
    assert figures["opening_bullets"] <= 0.02
    assert figures["median_bullet_chars"] <= 120


def test_summaries_beat_lead_3(figures):
    ext, lead = figures["extractive"], figures["lead3"]
    assert ext["fragments"] < lead["fragments"] / 10
    assert ext["opening_bullets"] < lead["opening_bullets"] / 10
    assert ext["marker_bullets"] <= lead["marker_bullets"]
    assert ext["bullets_with_number"] > lead["bullets_with_number"]     # results are what a curator keeps
