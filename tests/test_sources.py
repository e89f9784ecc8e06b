"""The source registry and OPML, through the library and the `blogsift sources` verbs."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from blogsift.cli import app
from blogsift.errors import SourceError
from blogsift.sources import builtin_registry, parse_opml, to_opml

runner = CliRunner()

FEEDLY_EXPORT = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>My feeds</title></head>
  <body>
    <outline text="ML" title="ML">
      <outline type="rss" text="Lil'Log" title="Lil'Log" xmlUrl="https://lilianweng.github.io/index.xml"
               htmlUrl="https://lilianweng.github.io/"/>
      <outline type="rss" text="토스 기술 블로그" title="토스 기술 블로그" xmlUrl="https://toss.tech/rss.xml"
               htmlUrl="https://toss.tech" language="ko"/>
      <outline type="rss" text="local" xmlUrl="file:///etc/passwd"/>
    </outline>
  </body>
</opml>
"""


def test_builtin_registry_covers_the_curators_blogs():
    reg = {s.key: s for s in builtin_registry()}
    assert len(reg) >= 20
    assert reg["aws-ml"].aws and reg["aws-korea"].aws and reg["aws-korea"].lang == "ko"
    # house rule: individuals and project blogs show no organisation
    assert reg["eugeneyan"].org is None and reg["huyenchip"].org is None and reg["pytorch"].org is None
    assert reg["scatterlab"].org == "스캐터랩" and reg["coupang"].org == "쿠팡"
    assert {s.lang for s in reg.values()} == {"en", "ko"}


def test_opml_import_reads_nested_outlines_and_skips_non_http():
    sources = parse_opml(FEEDLY_EXPORT)
    assert [s.feed_url for s in sources] == ["https://lilianweng.github.io/index.xml", "https://toss.tech/rss.xml"]
    assert sources[1].lang == "ko" and sources[1].name == "토스 기술 블로그"


def test_opml_roundtrip_keeps_every_field():
    reg = builtin_registry()
    assert parse_opml(to_opml(reg)) == reg


@pytest.mark.parametrize("bad", ["not xml at all", "<html><body/></html>",
                                 '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><opml/>'])
def test_bad_opml_is_a_clear_error(bad):
    with pytest.raises(SourceError):
        parse_opml(bad)


def test_sources_cli_add_list_remove_export_import(tmp_path):
    db = str(tmp_path / "s.db")
    r = runner.invoke(app, ["--db", db, "sources", "list"])
    assert r.exit_code == 0, r.output
    assert "eugeneyan" in r.output
    r = runner.invoke(app, ["--db", db, "sources", "add", "https://example.org/feed.xml", "--name", "Example Lab",
                            "--kind", "research", "--org", "Example"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["--db", db, "sources", "add", "javascript:alert(1)", "--name", "Bad"])
    assert r.exit_code == 1 and "http" in r.output
    r = runner.invoke(app, ["--db", db, "sources", "remove", "eugeneyan"])
    assert r.exit_code == 0
    r = runner.invoke(app, ["--db", db, "sources", "remove", "eugeneyan"])
    assert r.exit_code == 1 and "no source" in r.output
    out = tmp_path / "out.opml"
    r = runner.invoke(app, ["--db", db, "sources", "export-opml", "-o", str(out)])
    text = out.read_text(encoding="utf-8")
    assert "example-lab" in text and "eugeneyan" not in text  # a removed source never comes back
    db2 = str(tmp_path / "s2.db")
    for key in ("aws-ml", "lilianweng", "toss"):  # the last two are in the built-in registry too
        runner.invoke(app, ["--db", db2, "sources", "remove", key])
    opml = tmp_path / "in.opml"
    opml.write_text(FEEDLY_EXPORT, encoding="utf-8")
    r = runner.invoke(app, ["--db", db2, "sources", "import-opml", str(opml)])
    assert r.exit_code == 0 and "imported 2 new sources" in r.output


def test_bad_settings_file_is_a_clean_error(tmp_path):
    cfg = tmp_path / "blogsift.toml"
    cfg.write_text("[fetch]\nmax_bytez = 3\n")
    r = runner.invoke(app, ["--config", str(cfg), "sources", "list"])
    assert r.exit_code == 1
    assert "unknown setting 'fetch.max_bytez'" in r.output
    cfg.write_text("[fetch]\nmax_bytes = 'lots'\n")
    r = runner.invoke(app, ["--config", str(cfg), "sources", "list"])
    assert r.exit_code == 1 and "must be int" in r.output
