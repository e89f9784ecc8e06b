"""Every global option is honoured by every command: a walk over the registered commands.

``--db X`` must make each command that keeps anything use the store X and nothing else (no default
``blogsift.db`` appears); ``--config`` is read before any command runs (a bad file stops every one).
A command added later that is not in the table below still gets the walk with no arguments, and this
test asks for its row.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from blogsift.cli import app
from blogsift.store import Store

runner = CliRunner()

DIGEST = """# Summary of Important AI & ML Blog Posts
* NOTE: test

## 2. Business Cases and Implementations
### 2.3. RecSys, etc.
* [Home Recommendations (Oct 2026, Example)](https://example.com/reco)
    * 클릭률 11% 향상
"""


def _args(name: str, tmp: Path) -> list[str] | None:
    """Arguments that make the command do its work; None for one that needs no store."""
    (tmp / "posts.jsonl").write_text(json.dumps({"url": "https://b/p", "title": "Ranking with LightGBM",
                                                 "text": "We trained LightGBM on 40 million sessions."}) + "\n")
    (tmp / "mine.md").write_text(DIGEST, encoding="utf-8")
    (tmp / "feeds.opml").write_text('<?xml version="1.0"?><opml version="2.0"><body><outline type="rss" '
                                    'text="Ex" xmlUrl="https://example.com/feed.xml"/></body></opml>')
    table = {
        "run": ["run", "--no-fetch", "--month", "2026-10", "-o", str(tmp / "run.md")],
        "demo": ["demo", "-o", str(tmp / "demo.md")],
        "config": ["config"],
        "status": ["status"],
        "import-digest": ["import-digest", str(tmp / "mine.md")],
        "render": ["render", "-o", str(tmp / "r.md")],
        "publish": ["publish", "--into", str(tmp / "pub.md")],
        "classify": ["classify", "-i", str(tmp / "posts.jsonl"), "-o", str(tmp / "c.jsonl")],
        "explain": ["explain", "https://example.com/reco"],
        "serve": ["serve"],
        "accept": ["accept", "https://example.com/reco"],
        "reject": ["reject", "https://example.com/other"],
        "move": ["move", "https://example.com/reco", "--track", "research", "--area", "cv"],
        "edit": ["edit", "https://example.com/reco", "--title-md", "New"],
        "sources list": ["sources", "list"],
        "sources add": ["sources", "add", "https://example.com/feed.xml", "--key", "ex", "--name", "Ex"],
        "sources remove": ["sources", "remove", "anything"],
        "sources import-opml": ["sources", "import-opml", str(tmp / "feeds.opml")],
        "sources export-opml": ["sources", "export-opml", "-o", str(tmp / "out.opml")],
        "watch": ["watch", "--max-runtime", "0"],
        "poll": ["poll", "--source", "no-such-source"],
        "backfill": ["backfill", "--since", "2026-10-01", "--until", "2026-10-02", "--source", "no-such-source"],
        "worker": ["worker"],
    }
    no_store = {"summarize"}   # extractive by default: reads JSONL, writes JSONL, keeps nothing
    if name in no_store:
        return None
    return table.get(name, [*name.split()])


def _commands() -> list[str]:
    names = [c.name or c.callback.__name__.replace("_", "-") for c in app.registered_commands]
    for group in app.registered_groups:
        names += [f"{group.name} {c.name or c.callback.__name__.replace('_', '-')}"
                  for c in group.typer_instance.registered_commands]
    return names


def test_the_walk_covers_every_command():
    assert {"run", "demo", "config", "serve", "sources list"} <= set(_commands())


@pytest.mark.parametrize("name", _commands())
def test_global_db_is_the_store_of_every_command(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BLOGSIFT_DB", raising=False)
    monkeypatch.delenv("BLOGSIFT_CONFIG", raising=False)
    monkeypatch.setenv("COLUMNS", "400")   # `config` prints a table: room for the whole store URL
    served = []
    monkeypatch.setattr("uvicorn.run", lambda web_app, **kw: served.append(web_app))
    args = _args(name, tmp_path)
    if args is None:
        args = name.split()
    if name not in _known() | {"config", "summarize"}:
        # a command without a row yet: `--help` only (a long-running verb must not hang the walk); the
        # static check below still holds it to the context's store
        args = [*name.split(), "--help"]
    db = tmp_path / "mine.db"
    r = runner.invoke(app, ["--db", str(db), *args])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.output
    assert not (tmp_path / "blogsift.db").exists(), f"{name} opened the default store instead of --db"
    if name in ("config",):
        assert str(db) in r.stdout           # the store setting printed is the one given
    elif _args(name, tmp_path) is not None and name in _known():
        assert db.exists(), f"{name} did not use the store given with --db:\n{r.output}"
    if name == "serve":
        assert served, "serve did not start the app"
    if name == "demo":   # `blogsift --db X demo`: the demo's posts are in X afterwards
        store = Store(f"sqlite:///{db}")
        try:
            assert store.count_posts() > 40 and store.list_entries()
        finally:
            store.close()


def _known() -> set[str]:
    return {"run", "demo", "status", "import-digest", "render", "publish", "classify", "explain", "serve", "accept",
            "reject", "move", "edit", "sources list", "sources add", "sources remove", "sources import-opml",
            "sources export-opml", "watch", "poll", "backfill", "worker"}


def test_every_command_reads_the_config_first(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_text("[summary]\nno_such_setting = 1\n")
    for name in _commands():
        r = runner.invoke(app, ["--config", str(bad), *(_args(name, tmp_path) or name.split())])
        assert r.exit_code == 1 and "unknown setting" in r.output, name



def test_commands_open_the_store_only_through_the_context():
    """No command builds its own store: `get_context().store()` is the one that honours --db."""
    commands = Path(__file__).resolve().parents[1] / "src" / "blogsift" / "commands"
    for module in commands.glob("*.py"):
        text = module.read_text(encoding="utf-8")
        assert "Store(" not in text, f"{module.name} opens a store of its own; use get_context().store()"
