"""Rendering the house Markdown from structured entries (the machine path).

The rules are DIGEST_FORMAT.md's: tracks in order, areas numbered by their fixed index, empty areas
and tracks left out, a blank line after each area's entries and none between a track heading and
its first area heading, entries newest month first and then in acceptance order.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..models import AREAS, TRACKS
from .safety import safe_url, escape_title_text

__all__ = ["DigestEntry", "render_markdown", "default_header", "TRACK_TITLES", "AREA_TITLES", "atomic_write"]

TRACK_TITLES = {"research": "Research", "business": "Business Cases and Implementations", "aws": "AWS ML Only"}
AREA_TITLES = {"cv": "CV", "nlp": "NLP", "recsys_etc": "RecSys, etc.",
               "training_inference_mlops": "Training, Inference and MLOps"}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

#: the default header in the house language; configurable through settings.digest.note / .criteria
DEFAULT_NOTE = "아래 글은 다음 기준으로 골랐음"
DEFAULT_CRITERIA = (
    "양질의 글을 꾸준히 쓰는 기업, 연구소, 개인의 블로그가 후보",
    "중요도와 인기도를 기준으로 선정",
    "순수 연구보다 비즈니스 적용 사례에 더 높은 비중",
    "소스 코드나 모델 체크포인트가 공개되면 중요도 상승",
    "AWS ML 관련 글은 별도 섹션으로 분리",
    "범위는 CV, NLP, 추천 시스템, 모델 학습과 추론, MLOps",
)


@dataclass
class DigestEntry:
    track: str
    area: str
    month: str                      # "YYYY-MM"
    title_md: str
    url: str
    org: str | None = None
    bullets: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)   # {"alt", "src"}
    seq: int = 0

    def line(self) -> str:
        year, mon = self.month.split("-")
        date = f"{MONTHS[int(mon) - 1]} {year}"
        suffix = f"({date}, {self.org})" if self.org and self.track != "aws" else f"({date})"
        return f"* [{self.title_md} {suffix}]({safe_url(self.url)})"

    def lines(self) -> list[str]:
        out = [self.line()]
        out += [f"    * {' '.join(b.split())}" for b in self.bullets if b.strip()]
        for img in self.images:
            out.append(f"![{escape_title_text(img.get('alt', ''))}]({img.get('src', '')})")
        return out


def default_header(title: str = "Summary of Important AI & ML Blog Posts", note: str = "",
                   criteria: list[str] | tuple[str, ...] = ()) -> list[str]:
    lines = [f"# {title}", f"* NOTE: {note or DEFAULT_NOTE}"]
    lines += [f"  * {c}" for c in (criteria or DEFAULT_CRITERIA)]
    return lines


def render_markdown(entries: list[DigestEntry], header: list[str] | None = None) -> str:
    lines = list(header if header is not None else default_header())
    lines.append("")
    for t_index, track in enumerate(TRACKS, 1):
        in_track = [e for e in entries if e.track == track]
        if not in_track:
            continue
        lines.append(f"## {t_index}. {TRACK_TITLES[track]}")
        for a_index, area in enumerate(AREAS, 1):
            in_area = [e for e in in_track if e.area == area]
            if not in_area:
                continue
            # newest month first; within a month, acceptance order (stable across re-renders)
            in_area.sort(key=lambda e: e.seq)
            in_area.sort(key=lambda e: e.month, reverse=True)
            lines.append(f"### {t_index}.{a_index}. {AREA_TITLES[area]}")
            for e in in_area:
                lines.extend(e.lines())
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def atomic_write(path: Path, text: str, *, backup: bool = True) -> None:
    """Write ``text`` to ``path`` so that a crash leaves the old file or the new one, never half of one;
    the previous version is kept as ``PATH.bak``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if backup and path.exists():
            bak = path.with_name(path.name + ".bak")
            bak.write_bytes(path.read_bytes())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
