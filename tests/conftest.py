"""Shared fixtures: real SQLite stores in tmp dirs, a real PostgreSQL store when one is configured."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from blogsift.config import Settings
from blogsift.store import Store



def pytest_collection_modifyitems(config, items):
    # CI sets BLOGSIFT_REQUIRE_* so that a missing server or browser fails instead of skipping.
    need_pg = os.environ.get("BLOGSIFT_REQUIRE_PG") == "1"
    need_browser = os.environ.get("BLOGSIFT_REQUIRE_BROWSER") == "1"
    have_pg = bool(os.environ.get("BLOGSIFT_TEST_PG_URL"))
    have_browser = shutil.which("chromium") is not None or Path("/usr/bin/chromium").exists()
    for item in items:
        if "postgres" in item.keywords and not have_pg and not need_pg:
            item.add_marker(pytest.mark.skip(reason="set BLOGSIFT_TEST_PG_URL to run PostgreSQL tests"))
        if "browser" in item.keywords and not have_browser and not need_browser:
            item.add_marker(pytest.mark.skip(reason="needs /usr/bin/chromium"))


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory):
    """Fitted classifiers go to a directory of this test session, not the user's cache."""
    path = tmp_path_factory.mktemp("models")
    old = os.environ.get("BLOGSIFT_MODEL_CACHE")
    os.environ["BLOGSIFT_MODEL_CACHE"] = str(path)
    yield path
    if old is None:
        os.environ.pop("BLOGSIFT_MODEL_CACHE", None)
    else:
        os.environ["BLOGSIFT_MODEL_CACHE"] = old


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store.memory_file(tmp_path)
    yield s
    s.close()


@pytest.fixture
def settings() -> Settings:
    s = Settings()
    s.fetch.allow_private_addresses = True
    s.fetch.per_host_delay = 0.0
    s.fetch.retries = 1
    s.fetch.backoff_base = 0.01
    return s


def reset_postgres(url: str) -> None:
    """Drop blogsift's tables so the next Store(url) starts from an empty, freshly migrated schema."""
    import sqlalchemy as sa

    from blogsift.store import metadata

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        metadata.drop_all(conn)
        conn.execute(sa.text("DROP TABLE IF EXISTS meta"))
    engine.dispose()


@pytest.fixture
def pg_url() -> str:
    """The test PostgreSQL database, emptied of blogsift's tables."""
    url = os.environ.get("BLOGSIFT_TEST_PG_URL")
    if not url:
        pytest.fail("BLOGSIFT_TEST_PG_URL is not set")
    reset_postgres(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request, tmp_path) -> str:
    """An empty store's URL: a SQLite file, and (marked postgres) the test PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url = os.environ.get("BLOGSIFT_TEST_PG_URL")
    if not url:
        pytest.fail("BLOGSIFT_TEST_PG_URL is not set")
    reset_postgres(url)
    return url
