"""Publishing into a digest a person edits: every hand edit survives, new entries land in place."""

from __future__ import annotations

import os

import pytest

from blogsift.digest import DigestEntry, entries_from_store, merge_into, parse_digest, publish_into, render_markdown
from blogsift.digest.merge import PUBLISHED_DOC, atomic_write
from blogsift.digest.model import base_id_of

from test_digest_roundtrip import seed_entries


def _to_store(store, entries):
    for e in entries:
        store.upsert_entry({"url": e.url, "track": e.track, "area": e.area, "month": e.month, "org": e.org,
                            "title_md": e.title_md, "bullets": e.bullets, "images": e.images, "origin": "machine",
                            "status": "accepted", "summary_author": "extractive"})


NEW = [
    DigestEntry(track="business", area="nlp", month="2023-01", title_md="Newest *Chat* Model", url="https://example.com/n1",
                org="Airbnb", bullets=["새 글 요약"]),
    DigestEntry(track="business", area="nlp", month="2022-11", title_md="Late November Post", url="https://example.com/n2",
                org="Netflix"),
    DigestEntry(track="research", area="training_inference_mlops", month="2022-12", title_md="A New Area",
                url="https://example.com/n3", org="Google"),
    DigestEntry(track="aws", area="nlp", month="2023-01", title_md="**Amazon Bedrock** Launch",
                url="https://example.com/n4", org="Amazon"),
]

TOXICITY = "https://aws.amazon.com/ko/blogs/machine-learning/build-a-robust-text-based-toxicity-predictor/"


def _hand_edit(text: str) -> str:
    # change a bullet
    text = text.replace("    * 적대적 학습 = 원래 학습 데이터 + 공격에 성공한 변형 문장 → 재학습 반복\n",
                        "    * 적대적 학습 = 원래 학습 데이터 + 공격에 성공한 변형 문장 → 반복 (사람이 고침)\n")
    # add a bullet, with the curator's own 3-space indent and a trailing space
    text = text.replace("    * 토픽별로 흩어진 ML 작업을 오케스트레이션 계층으로 묶어 비용 절감\n",
                        "    * 토픽별로 흩어진 ML 작업을 오케스트레이션 계층으로 묶어 비용 절감\n"
                        "   * 추가한 불릿 \n")
    # fix a title
    text = text.replace("[Robots That Write Their Own Code (Nov 2022, Google)]",
                        "[Robots That Write Their Own Code with *Code as Policies* (Nov 2022, Google)]")
    # delete an entry
    lines = text.split("\n")
    lines = [ln for ln in lines if "mastering-stratego" not in ln]
    # a personal note line under an entry of business/nlp
    i = next(k for k, ln in enumerate(lines) if "how-ai-text-generation-models" in ln)
    lines.insert(i + 4, "> 메모: 팀 스터디에서 같이 읽기")
    return "\n".join(lines)


def test_hand_edits_survive_a_second_publish(store, tmp_path):
    path = tmp_path / "digest.md"
    _to_store(store, seed_entries())
    first = publish_into(path, entries_from_store(store), store)
    first_line, rest = path.read_text(encoding="utf-8").split("\n", 1)
    assert first.added and rest == render_markdown(entries_from_store(store))
    assert parse_digest(first_line + "\n").base_id is not None     # the base id, on the first line
    assert not (tmp_path / "digest.md.bak").exists()

    edited = _hand_edit(path.read_text(encoding="utf-8"))
    path.write_text(edited, encoding="utf-8")
    _to_store(store, NEW)
    second = publish_into(path, entries_from_store(store), store)
    out = path.read_text(encoding="utf-8")

    assert (tmp_path / "digest.md.bak").read_text(encoding="utf-8") == edited
    assert sorted(second.added) == sorted(e.url for e in NEW)
    assert second.conflicts == [] and second.updated == []
    assert len(second.kept) == 3 and second.written     # the three edited entries, kept as they are
    assert second.kept_deleted == ["https://www.deepmind.com/blog/mastering-stratego-the-classic-game-of-imperfect-information"]
    # every hand edit is intact
    assert "→ 반복 (사람이 고침)\n" in out and "   * 추가한 불릿 \n" in out
    assert "Their Own Code with *Code as Policies* (Nov 2022, Google)" in out
    assert "mastering-stratego" not in out
    assert "> 메모: 팀 스터디에서 같이 읽기\n" in out
    # every line of the edited file is still there, in the same order
    out_lines = out.split("\n")
    positions = [out_lines.index(ln) for ln in edited.split("\n") if ln and not base_id_of(ln)]
    assert base_id_of(out_lines[0]) != base_id_of(edited.split("\n")[0])   # a new base, a new id
    assert positions == sorted(positions)
    # new entries where the ordering rules put them
    nlp = out.split("### 2.2. NLP\n")[1].split("\n\n")[0]
    urls = [e.url for e in parse_digest("## 2. Business Cases and Implementations\n### 2.2. NLP\n" + nlp).entries]
    assert urls[0] == "https://example.com/n1"                     # newest month first
    assert urls[-1] == "https://example.com/n2"                    # after the other November entries
    assert urls.index(TOXICITY) == 1
    assert "> 메모: 팀 스터디에서 같이 읽기\n* [Late November Post (Nov 2022, Netflix)]" in out   # after the note
    # a missing area is created under its track at its fixed index; a new AWS area before 3.3
    assert "\n\n### 1.4. Training, Inference and MLOps\n* [A New Area (Dec 2022, Google)](https://example.com/n3)\n\n" \
           "## 2. Business" in out
    assert "## 3. AWS ML Only\n### 3.2. NLP\n* [**Amazon Bedrock** Launch (Jan 2023)](https://example.com/n4)\n\n" \
           "### 3.3. RecSys, etc.\n" in out

    # a third publish with nothing new changes nothing at all
    third = publish_into(path, entries_from_store(store), store)
    assert third.added == [] and third.conflicts == [] and path.read_text(encoding="utf-8") == out


def test_person_wins_a_conflict_and_it_is_reported(store, tmp_path):
    path = tmp_path / "digest.md"
    _to_store(store, seed_entries())
    publish_into(path, entries_from_store(store), store)
    text = path.read_text(encoding="utf-8").replace("    * 적대적 학습 = ", "    * (사람) 적대적 학습 = ")
    path.write_text(text, encoding="utf-8")
    # the machine changes the same entry, and another one the person did not touch
    store.upsert_entry({"url": TOXICITY, "bullets": ["기계가 다시 쓴 요약"]})
    renate = "https://aws.amazon.com/blogs/machine-learning/automatically-retrain-neural-networks-with-renate/"
    store.upsert_entry({"url": renate, "bullets": ["기계의 새 요약"]})
    result = publish_into(path, entries_from_store(store), store)
    out = path.read_text(encoding="utf-8")
    assert [c.url for c in result.conflicts] == [TOXICITY]
    assert result.conflicts[0].line == text.split("\n").index(
        next(ln for ln in text.split("\n") if TOXICITY in ln)) + 1
    assert "(사람) 적대적 학습" in out and "기계가 다시 쓴 요약" not in out
    assert result.updated == [renate] and "    * 기계의 새 요약\n" in out


def test_machine_move_relocates_an_untouched_entry(store, tmp_path):
    path = tmp_path / "digest.md"
    _to_store(store, seed_entries()[:3])
    publish_into(path, entries_from_store(store), store)
    moved = seed_entries()[0]
    store.upsert_entry({"url": moved.url, "track": "business", "area": "cv"})
    result = publish_into(path, entries_from_store(store), store)
    out = path.read_text(encoding="utf-8")
    assert result.updated == [moved.url]
    assert out.index("## 2. Business") < out.index(moved.url)
    assert "### 1.1. CV\n" in out    # one CV entry is still there


def test_merge_keeps_crlf_and_missing_final_newline():
    base_entries = seed_entries()[:2]
    text = render_markdown(base_entries).rstrip("\n").replace("\n", "\r\n")
    result = merge_into(text, base_entries + [NEW[0]], base_text=None)
    assert result.added == [NEW[0].url]
    assert "\n" not in result.text.replace("\r\n", "")
    assert not result.text.endswith("\r\n")
    assert result.text.startswith(text.split("\r\n## ")[0])


def test_merge_into_empty_or_header_only_file():
    assert merge_into("", [NEW[0]]).text == render_markdown([NEW[0]])
    header_only = "# Mine\n* NOTE: 메모\n"
    result = merge_into(header_only, [NEW[0]])
    assert result.text == header_only + "\n## 2. Business Cases and Implementations\n### 2.2. NLP\n" \
        "* [Newest *Chat* Model (Jan 2023, Airbnb)](https://example.com/n1)\n    * 새 글 요약\n"


def test_refused_entries_never_reach_the_file(tmp_path):
    bad = DigestEntry(track="research", area="cv", month="2023-01", title_md="Bad", url="javascript:alert(1)")
    result = publish_into(tmp_path / "d.md", [bad, NEW[0]])
    assert [u for u, _ in result.refused] == ["javascript:alert(1)"]
    assert "javascript" not in (tmp_path / "d.md").read_text(encoding="utf-8")


def test_atomic_write_leaves_the_old_file_when_the_write_fails(tmp_path, monkeypatch):
    path = tmp_path / "d.md"
    path.write_text("old\n", encoding="utf-8")

    def crash(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        atomic_write(path, "new\n")
    monkeypatch.undo()
    assert path.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    atomic_write(path, "new\n")
    assert path.read_text(encoding="utf-8") == "new\n" and (tmp_path / "d.md.bak").read_text() == "old\n"


def test_the_published_base_is_stored_under_the_id_written_into_the_file(store, tmp_path):
    publish_into(tmp_path / "a.md", [NEW[0]], store)
    base_id = parse_digest((tmp_path / "a.md").read_text(encoding="utf-8")).base_id
    assert NEW[0].url in store.get_document(PUBLISHED_DOC.format(key=base_id))
    assert store.get_document(PUBLISHED_DOC.format(key=str((tmp_path / "a.md").resolve()))) is None


def test_force_replaces_the_file_and_keeps_a_backup(tmp_path):
    path = tmp_path / "d.md"
    path.write_text("# mine\n메모\n", encoding="utf-8")
    result = publish_into(path, [NEW[0]], force=True)
    assert path.read_text(encoding="utf-8") == render_markdown([NEW[0]]) == result.text
    assert (tmp_path / "d.md.bak").read_text(encoding="utf-8") == "# mine\n메모\n"
