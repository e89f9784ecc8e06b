"""The digest file is replaced only if it is unchanged since it was read, and merges against the base
named inside it: a person saving the file during a publish, or copying it, never loses an edit."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from blogsift.cli import app
from blogsift.digest import merge as merge_mod
from blogsift.digest import parse_digest, publish_into, render_digest, render_markdown
from blogsift.digest.merge import atomic_write, file_hash, with_base_id
from blogsift.errors import DigestChanged

from test_digest_merge import NEW, _to_store
from test_digest_roundtrip import seed_entries


def test_a_copied_digest_merges_against_the_version_it_was_published_from(store, tmp_path):
    a, b = tmp_path / "a.md", tmp_path / "renamed.md"
    _to_store(store, seed_entries()[:4])
    publish_into(a, [e for e in seed_entries()[:4]], store)
    shutil.copy(a, b)
    a.unlink()
    gone, edited = seed_entries()[1], seed_entries()[2]
    text = b.read_text(encoding="utf-8")
    text = "\n".join(ln for ln in text.split("\n") if gone.url not in ln or not ln.startswith("* ["))
    text = text.replace(f"[{edited.title_md} (", f"[{edited.title_md} Fixed By Hand (")
    b.write_text(text, encoding="utf-8")
    _to_store(store, NEW[:1])
    result = publish_into(b, seed_entries()[:4] + NEW[:1], store)
    out = b.read_text(encoding="utf-8")
    assert result.kept_deleted == [gone.url] and f"({gone.url})" not in out      # not brought back
    assert result.kept == [edited.url] and "Fixed By Hand" in out and result.conflicts == []
    assert result.added == [NEW[0].url]


def test_a_file_with_a_base_id_round_trips_byte_for_byte(tmp_path):
    plain = render_markdown(seed_entries()[:3])
    with_id = with_base_id(plain, "0123456789abcdef0123456789abcdef")
    for text in (plain, with_id, with_id.replace("\n", "\r\n"), "\ufeff" + with_id):
        assert render_digest(parse_digest(text)) == text
    assert parse_digest(plain).base_id is None
    assert parse_digest(with_id).base_id == "0123456789abcdef0123456789abcdef"
    assert [e.url for e in parse_digest(with_id).entries] == [e.url for e in parse_digest(plain).entries]
    assert with_base_id(with_id, "f" * 32).count("blogsift:base") == 1


def test_atomic_write_refuses_a_file_that_changed_since_it_was_read(tmp_path):
    path = tmp_path / "d.md"
    path.write_text("as read\n", encoding="utf-8")
    seen = file_hash(path)
    path.write_text("saved by a person\n", encoding="utf-8")
    with pytest.raises(DigestChanged):
        atomic_write(path, "machine\n", expect_hash=seen)
    assert path.read_text(encoding="utf-8") == "saved by a person\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    created = tmp_path / "new.md"
    seen = file_hash(created)                      # no file yet
    created.write_text("created by a person\n", encoding="utf-8")
    with pytest.raises(DigestChanged):             # a file created meanwhile is not replaced either
        atomic_write(created, "machine\n", expect_hash=seen)
    assert created.read_text(encoding="utf-8") == "created by a person\n"


def _cli(db: str, *args: str):
    return CliRunner().invoke(app, ["--db", db, *args], catch_exceptions=False)


def test_an_edit_saved_during_publish_survives_and_the_merge_is_redone(tmp_path, monkeypatch):
    db, path = str(tmp_path / "s.db"), tmp_path / "digest.md"
    from blogsift.store import Store
    with Store(f"sqlite:///{db}") as store:
        _to_store(store, seed_entries()[:3])
    assert _cli(db, "publish", "--into", str(path)).exit_code == 0
    with Store(f"sqlite:///{db}") as store:
        _to_store(store, NEW[:1])
    edited = path.read_text(encoding="utf-8").replace("\n* [", "\n> 저장 중에 쓴 메모\n* [", 1)
    real_merge, calls = merge_mod.merge_into, []

    def merge_while_a_person_saves(*args, **kwargs):
        calls.append(1)
        result = real_merge(*args, **kwargs)
        if len(calls) == 1:          # the person saves after blogsift read the file, before it is replaced
            path.write_text(edited, encoding="utf-8")
        return result

    monkeypatch.setattr(merge_mod, "merge_into", merge_while_a_person_saves)
    res = _cli(db, "publish", "--into", str(path))
    out = path.read_text(encoding="utf-8")
    assert res.exit_code == 0, res.output
    assert "> 저장 중에 쓴 메모\n" in out and f"({NEW[0].url})" in out     # their note and the new entry
    assert len(calls) == 2 and "merged again on the new file" in res.output
    assert "1 added" in res.output and "0 conflicts" in res.output


def test_a_file_that_keeps_changing_is_left_alone_with_a_clear_error(tmp_path, monkeypatch):
    db, path = str(tmp_path / "s.db"), tmp_path / "digest.md"
    from blogsift.store import Store
    with Store(f"sqlite:///{db}") as store:
        _to_store(store, seed_entries()[:2])
    real_merge, saves = merge_mod.merge_into, []

    def merge_while_always_saving(*args, **kwargs):
        result = real_merge(*args, **kwargs)
        saves.append(f"# 편집 {len(saves)}\n")
        path.write_text(saves[-1], encoding="utf-8")
        return result

    path.write_text("# 처음\n", encoding="utf-8")
    monkeypatch.setattr(merge_mod, "merge_into", merge_while_always_saving)
    res = _cli(db, "publish", "--into", str(path))
    assert res.exit_code != 0 and "changed 5 times" in res.output
    assert path.read_text(encoding="utf-8") == saves[-1]


def test_temp_files_of_a_killed_write_are_cleared_by_the_next_write(tmp_path):
    import os
    import time
    path = tmp_path / "d.md"
    stale, fresh = tmp_path / ".d.md.abc123.tmp", tmp_path / ".d.md.def456.tmp"
    stale.write_text("half", encoding="utf-8")
    fresh.write_text("being written", encoding="utf-8")
    old = time.time() - merge_mod.STALE_TEMP_S - 5
    os.utime(stale, (old, old))
    atomic_write(path, "new\n")
    assert not stale.exists() and fresh.exists()       # a write in progress elsewhere is left alone
