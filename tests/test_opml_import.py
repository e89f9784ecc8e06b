"""OPML import: a key already in use is never replaced silently (asked, or `--replace`), and each blog's
kind comes from blogsift's attribute, the registry, or the file's categories and folders, not "company"
for everything."""

from __future__ import annotations

from typer.testing import CliRunner

from blogsift.cli import app
from blogsift.sources import read_opml, registry_resolver
from blogsift.store import Store

OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>mine</title></head><body>
  <outline text="Research labs">
    <outline type="rss" text="DeepMind" xmlUrl="https://deepmind.google/blog/rss.xml"
             htmlUrl="https://deepmind.google/discover/blog/"/>
    <outline type="rss" text="Small Lab" xmlUrl="https://smalllab.example.org/feed.xml"/>
  </outline>
  <outline text="People"><outline type="rss" text="Some Person" xmlUrl="https://someone.example.net/rss"/></outline>
  <outline type="rss" text="Widget" xmlUrl="https://widget.example.com/feed" category="/Tools/Open Source"/>
  <outline type="rss" text="Jo's notes" xmlUrl="https://jo.github.io/feed.xml"/>
  <outline type="rss" text="Acme" xmlUrl="https://acme.example.com/feed"/>
  <outline type="rss" text="Eugene Yan" xmlUrl="https://other.example.com/eugene.xml" blogsift-key="eugeneyan"
           blogsift-kind="individual"/>
</body></opml>
"""


def test_kind_comes_from_the_registry_the_category_or_the_folder():
    got = {s.name: (s.kind, how) for s, how in read_opml(OPML, registry=registry_resolver())}
    assert got["DeepMind"] == ("research", "registry")
    assert got["Small Lab"] == ("research", "category")          # its folder: "Research labs"
    assert got["Some Person"] == ("individual", "category")      # its folder: "People"
    assert got["Widget"] == ("project", "category")              # category="/Tools/Open Source"
    assert got["Jo's notes"] == ("individual", "guess")          # a github.io blog
    assert got["Acme"] == ("company", "guess")
    assert got["Eugene Yan"] == ("individual", "opml")


def _import(db: str, path, *args: str, stdin: str | None = None):
    return CliRunner().invoke(app, ["--db", db, "sources", "import-opml", str(path), *args], input=stdin)


def test_an_existing_key_is_kept_unless_replaced(tmp_path):
    db, opml = str(tmp_path / "s.db"), tmp_path / "mine.opml"
    opml.write_text(OPML, encoding="utf-8")
    r = _import(db, opml)
    assert r.exit_code == 0, r.output
    # "eugeneyan" is a built-in source with another feed: kept, and said so
    assert "key taken: eugeneyan: kept" in r.output and "use --replace" in r.output
    with Store(f"sqlite:///{db}") as store:
        assert store.get_source("eugeneyan").feed_url != "https://other.example.com/eugene.xml"
        assert store.get_source("small-lab").kind == "research"
    assert "acme: filed as company (nothing in the file or the registry says" in r.output
    r = _import(db, opml, "--replace")
    assert r.exit_code == 0 and "1 replaced" in r.output
    with Store(f"sqlite:///{db}") as store:
        assert store.get_source("eugeneyan").feed_url == "https://other.example.com/eugene.xml"


def test_without_replace_the_cli_asks_when_it_can(tmp_path, monkeypatch):
    from blogsift.commands import sources as sources_cmd
    db, opml = str(tmp_path / "s.db"), tmp_path / "mine.opml"
    opml.write_text(OPML, encoding="utf-8")
    monkeypatch.setattr(sources_cmd, "can_ask", lambda: True)      # a person at a terminal
    r = _import(db, opml, stdin="y\n")
    assert "replace it with Eugene Yan" in r.output and "1 replaced" in r.output, r.output
