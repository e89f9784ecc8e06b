"""The review app's header counts a person's accepts apart from the machine's picks."""

from __future__ import annotations

import re

from test_web_app import client_for, csrf_from, seed


def _counts(html: str) -> tuple[int, int]:
    person = re.search(r'id="accepted-person">(\d+) by you<', html)
    machine = re.search(r'id="accepted-machine">(\d+) picked by blogsift<', html)
    return int(person.group(1)), int(machine.group(1))


def test_header_counts_accepts_by_who_made_them(store, monkeypatch):
    urls = seed(store)
    for key in ("llm", "cv"):   # the pipeline selected these two
        store.upsert_entry({"url": urls[key], "track": "business", "area": "cv", "month": "2026-10",
                            "title_md": key, "bullets": [], "origin": "machine", "status": "accepted",
                            "summary_author": "extractive"})
    c = client_for(store, monkeypatch=monkeypatch)
    html = c.get("/?month=2026-10").text
    assert _counts(html) == (0, 2) and "2 accepted" in html
    token = csrf_from(html)
    c.post("/act", data={"csrf_token": token, "url": urls["rec"], "action": "accept"})
    assert _counts(c.get("/?month=2026-10").text) == (1, 2)
    # a person confirming a machine pick makes it theirs
    c.post("/act", data={"csrf_token": token, "url": urls["cv"], "action": "accept"})
    assert _counts(c.get("/?month=2026-10").text) == (2, 1)
