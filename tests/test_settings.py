"""Every setting is read: the test walks the settings table (``blogsift config``) and fails for any
key that no code reads (an attribute read in the syntax tree, not a mention in a help text), so a
setting that does nothing cannot ship unnoticed."""

from __future__ import annotations

import ast
from pathlib import Path

from blogsift.config import Settings, settings_help

SRC = Path(__file__).resolve().parents[1] / "src" / "blogsift"

#: settings not read yet, each with the part of blogsift that will read it (the list only shrinks)
KNOWN_GAPS: dict[str, str] = {
}


def _reads() -> dict[Path, set[str]]:
    """Per module: the attribute names it reads (``x.name``, ``getattr(x, "name")``) and the names it
    uses, from its syntax tree: help texts and comments that mention a setting do not count."""
    out = {}
    for path in SRC.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):   # not a field's definition
                names.add(node.id)
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
                  and len(node.args) > 1 and isinstance(node.args[1], ast.Constant)):
                names.add(str(node.args[1].value))
        out[path] = names
    return out


def readers_of(key: str, reads: dict[Path, set[str]]) -> list[Path]:
    """Modules that read ``key`` ("section.name"): they read the attribute and reach its section
    (``settings.section`` or the section's dataclass), or it is a top-level key."""
    *section, name = key.split(".")
    reach = {section[0], f"{section[0].capitalize()}Settings"} if section else set()
    return [path for path, names in reads.items() if name in names and (not reach or reach & names)]


def test_every_setting_is_read_somewhere():
    reads = _reads()
    unread = [key for key, _value, _help in settings_help(Settings()) if not readers_of(key, reads)]
    assert sorted(set(unread) - set(KNOWN_GAPS)) == [], "settings that no code reads"
    assert sorted(set(KNOWN_GAPS) - set(unread)) == [], "read now: take them off KNOWN_GAPS"


def test_the_walk_finds_a_setting_nothing_reads():
    reads = _reads()
    assert readers_of("curation.threshold", reads)
    assert not readers_of("curation.a_setting_nobody_reads", reads)
    assert not readers_of("review.threshold", reads)      # the name alone, in another section, is not it


def test_relative_paths_in_the_file_are_taken_from_the_files_folder(tmp_path, monkeypatch):
    from blogsift.config import load_settings
    project = tmp_path / "project"
    project.mkdir()
    (project / "blogsift.toml").write_text(
        'registry = "blogs.toml"\n[store]\ndata_dir = "state"\n[digest]\noutput = "out/digest.md"\n',
        encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    s = load_settings(project / "blogsift.toml")
    assert Path(s.store.data_dir) == project / "state"
    assert Path(s.digest.output) == project / "out" / "digest.md"
    assert Path(s.registry) == project / "blogs.toml"
    assert s.db_url() == f"sqlite:///{project / 'state' / 'blogsift.db'}"
    (project / "blogsift.toml").write_text('[store]\nurl = "sqlite:///db/x.db"\n', encoding="utf-8")
    assert load_settings(project / "blogsift.toml").store.url == f"sqlite:///{project / 'db' / 'x.db'}"
    (project / "blogsift.toml").write_text('[store]\nurl = "postgresql+psycopg://u@h/db"\ndata_dir = "/abs"\n',
                                           encoding="utf-8")
    s = load_settings(project / "blogsift.toml")
    assert s.store.url == "postgresql+psycopg://u@h/db" and s.store.data_dir == "/abs"
    assert Settings().store.data_dir == "."          # defaults stay where blogsift runs


def test_a_removed_setting_says_what_to_do(tmp_path):
    import pytest

    from blogsift.config import load_settings
    from blogsift.errors import ConfigError
    cfg = tmp_path / "blogsift.toml"
    cfg.write_text('[curation]\ntaxonomy_tracks = ["research"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="no longer a setting: the tracks and their order are fixed"):
        load_settings(cfg)
