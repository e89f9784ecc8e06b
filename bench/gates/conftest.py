"""Quality gates on the real data beside the repository (``make eval``), kept out of ``make test``."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[3] / "shared"


def pytest_collection_modifyitems(config, items):
    if not (DATA / "corpus").is_dir() or not (DATA / "data").is_dir():
        for item in items:
            item.add_marker(pytest.mark.skip(reason=f"needs the real data at {DATA} (make eval)"))
