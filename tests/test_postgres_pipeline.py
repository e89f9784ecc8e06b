"""The whole pipeline on a real PostgreSQL store gives the same digest as on SQLite."""

from __future__ import annotations

import re

import pytest

from blogsift.config import Settings
from blogsift.demorun import run_demo


def _without_ports(text: str) -> str:
    return re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)


@pytest.mark.postgres
def test_demo_on_postgres_matches_sqlite(tmp_path, pg_url):
    pg_report, _ = run_demo(Settings(), tmp_path / "pg.md", db_path=pg_url)
    lite_report, _ = run_demo(Settings(), tmp_path / "lite.md", db_path=tmp_path / "lite.db")
    assert pg_report.sources_failed == {} and pg_report.posts_new == lite_report.posts_new
    assert pg_report.selected == lite_report.selected > 0
    assert _without_ports((tmp_path / "pg.md").read_text()) == _without_ports((tmp_path / "lite.md").read_text())
