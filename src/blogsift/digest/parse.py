"""Reading a house-format digest back into entries, keeping every byte.

``parse_digest(text)`` returns a ``Digest`` whose ``render_digest`` is the same text. Each entry is
parsed into fields (track, area, month, org, title, URL, bullets, images) and re-rendered through
the machine's own code at parse time; a line that does not come back identical is a problem with
its line number, never a silent change. Lines that are not entries (a person's notes) are kept
verbatim where they are and listed in ``Digest.unknown_lines``.

Line endings: LF or CRLF, consistently, are kept; a file mixing them is reported. A missing final
newline and a UTF-8 byte order mark are kept.

The Markdown is scanned line by line by hand rather than with a CommonMark library on purpose:
a CommonMark parser normalises what it reads (indentation, escapes, trailing spaces), and the
point here is to keep exactly those bytes.
"""

from __future__ import annotations

import re

from ..errors import DigestFormatError
from ..models import AREAS, TRACKS
from .model import (AREA_TITLES, MONTHS, TRACK_TITLES, Digest, DigestEntry, EntryFormat, Header, Heading,
                    LineFormat, RawLine, entry_suffix)
from .safety import is_http_url, safe_image_src

__all__ = ["parse_digest", "parse_entry", "parse_entry_line", "render_digest"]

_FULL_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december")

_TRACK_HEADING = re.compile(r"^## (\d+)\. (.+)$")
_AREA_HEADING = re.compile(r"^### (\d+)\.(\d+)\. (.+)$")
_ENTRY_START = re.compile(r"^[*-] \[")
# the date part is the LAST parenthesised group of the link text: titles may hold "(*CALM*)"
_SUFFIX = re.compile(r"^(?P<title>.*\S)(?P<suffix>\s+\((?P<mon>[A-Za-z]{3,9})\.?\s+(?P<year>\d{4})"
                     r"(?:\s*,\s*(?P<org>[^()]*?))?\s*\))$", re.S)
_BULLET = re.compile(r"^(?P<indent>[ \t]+)(?P<marker>[*+-])(?P<gap> +|(?=\s*$))(?P<text>.*?)(?P<trail>\s*)$")
_IMAGE = re.compile(r"^(?P<indent>[ \t]*)!\[(?P<alt>(?:\\.|[^\]\\])*)\]\((?P<src>[^()\s]*)\)(?P<trail>\s*)$")


def _month_number(name: str) -> int | None:
    low = name.lower()
    if low in _FULL_MONTHS:
        return _FULL_MONTHS.index(low) + 1
    if low == "sept":
        return 9
    if len(low) == 3 and low.capitalize() in MONTHS:
        return MONTHS.index(low.capitalize()) + 1
    return None


def _split_link(line: str) -> tuple[str, str, str]:
    """``* [text](url)   `` → (text, url, trailing); brackets and parentheses may nest, ``\\`` escapes."""
    i, depth = 3, 0
    while i < len(line):
        c = line[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            depth += 1
        elif c == "]":
            if depth == 0:
                break
            depth -= 1
        i += 1
    else:
        raise ValueError("the link text has no closing ']'")
    text = line[3:i]
    if line[i + 1:i + 2] != "(":
        raise ValueError("the entry line is not a link: no '(' after ']'")
    j = start = i + 2
    depth = 0
    while j < len(line):
        c = line[j]
        if c == "(":
            depth += 1
        elif c == ")":
            if depth == 0:
                break
            depth -= 1
        elif c.isspace():
            raise ValueError("a space inside the URL (percent-encode it as %20)")
        j += 1
    else:
        raise ValueError("the URL has no closing ')'")
    rest = line[j + 1:]
    if rest.strip():
        raise ValueError(f"text after the link: {rest.strip()[:40]!r}")
    return text, line[start:j], rest


def parse_entry_line(line: str) -> dict:
    """The fields of ``* [TITLE (Mon YYYY, ORG)](URL)``; ValueError says what is wrong."""
    if not _ENTRY_START.match(line):
        raise ValueError("an entry line starts with '* ['")
    text, url, trailing = _split_link(line)
    m = _SUFFIX.match(text)
    if not m:
        raise ValueError("the title does not end with a date like '(Dec 2022)' or '(Dec 2022, Google)'")
    mon = _month_number(m.group("mon"))
    if mon is None:
        raise ValueError(f"unknown month {m.group('mon')!r}")
    org = m.group("org")
    if org is not None:
        org = org.strip()
        if not org:
            raise ValueError("an empty organisation after the date")
    if not url:
        raise ValueError("an empty URL")
    month = f"{m.group('year')}-{mon:02d}"
    suffix = m.group("suffix")
    return {"marker": line[0], "title_md": m.group("title"), "url": url, "month": month, "org": org,
            "suffix": None if suffix == entry_suffix(month, org) else suffix, "trailing": trailing}


def parse_entry(lines: list[str], track: str, area: str, *, lineno: int | None = None) -> DigestEntry:
    """One entry's lines (entry line, bullets, images, indented extra lines) → ``DigestEntry``."""
    head = parse_entry_line(lines[0])
    fmt = EntryFormat(marker=head["marker"], trailing=head["trailing"], suffix=head["suffix"])
    entry = DigestEntry(track=track, area=area, month=head["month"], title_md=head["title_md"], url=head["url"],
                        org=head["org"], fmt=fmt, lineno=lineno, raw_lines=list(lines))
    for line in lines[1:]:
        _add_continuation(entry, line)
    if entry.lines() != list(lines):
        raise ValueError("the entry does not render back to the same text")
    return entry


def _add_continuation(entry: DigestEntry, line: str) -> bool:
    """Add a bullet / image / indented line to the entry; False if the line does not belong to it."""
    fmt = entry.fmt
    m = _IMAGE.match(line)
    if m:
        fmt.layout.append(("i", len(entry.images)))
        entry.images.append({"alt": m.group("alt"), "src": m.group("src")})
        fmt.images.append(LineFormat(indent=m.group("indent"), marker="", gap="", trailing=m.group("trail")))
        return True
    m = _BULLET.match(line)
    if m:
        fmt.layout.append(("b", len(entry.bullets)))
        entry.bullets.append(m.group("text"))
        fmt.bullets.append(LineFormat(indent=m.group("indent"), marker=m.group("marker"), gap=m.group("gap"),
                                      trailing=m.group("trail")))
        return True
    if line[:1] in (" ", "\t") and line.strip():
        fmt.layout.append(("x", line))
        return True
    return False


def _split_lines(text: str, problems: list) -> tuple[list[str], str, bool]:
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.split(newline)
    for n, line in enumerate(lines, 1):
        if "\r" in line or "\n" in line:
            problems.append((n, "mixed line endings (CRLF and LF): save the file with one kind"))
    final = bool(lines) and lines[-1] == ""
    if final:
        lines.pop()
    return lines, newline, final


def parse_digest(text: str, path: str | None = None, *, strict: bool = True) -> Digest:
    """Parse a house-format digest. ``strict``: raise ``DigestFormatError`` listing every line that
    cannot be read or reproduced; otherwise such lines are kept verbatim and listed in ``problems``."""
    problems: list[tuple[int, str]] = []
    digest = Digest(path=str(path) if path is not None else None)
    if text.startswith("\ufeff"):
        digest.bom, text = True, text[1:]
    lines, digest.newline, digest.final_newline = _split_lines(text, problems)
    if problems:  # line endings are fatal in both modes: the lines themselves are not known
        raise DigestFormatError("the digest mixes line endings", path=digest.path, problems=problems)

    start = next((i for i, ln in enumerate(lines) if ln.startswith("## ")), len(lines))
    digest.header = Header(lines=lines[:start])
    for i, line in enumerate(lines[:start]):
        if _ENTRY_START.match(line):
            problems.append((i + 1, "an entry before the first track heading ('## 1. Research')"))

    track: str | None = None
    area: str | None = None
    block: list[str] = []       # lines of the entry being read
    block_at = 0
    seen: dict[str, int] = {}
    unsafe: list[tuple[int, str]] = []

    def close() -> None:
        nonlocal block
        if not block:
            return
        try:
            entry = parse_entry(block, track, area, lineno=block_at)
        except ValueError as exc:
            problems.append((block_at, str(exc)))
            digest.nodes.extend(RawLine(t, block_at + k) for k, t in enumerate(block))
        else:
            for reason in _unsafe(entry):
                unsafe.append((block_at, reason))
            if entry.url in seen:
                problems.append((block_at, f"the same URL is already listed on line {seen[entry.url]}"))
            seen.setdefault(entry.url, block_at)
            digest.nodes.append(entry)
        block = []

    def keep(line: str, n: int, why: str | None) -> None:
        digest.nodes.append(RawLine(line, n))
        if why:
            digest.unknown_lines.append((n, why))

    for i in range(start, len(lines)):
        line, n = lines[i], i + 1
        if block and line.strip() and not _TRACK_HEADING.match(line) and not _AREA_HEADING.match(line) \
                and not _ENTRY_START.match(line):
            probe = DigestEntry(track="", area="", month="", title_md="", url="", fmt=EntryFormat())
            if _add_continuation(probe, line):
                if probe.fmt.layout[0][0] == "x":
                    digest.unknown_lines.append((n, "an indented line that is neither a bullet nor an image "
                                                    "(kept inside the entry above)"))
                block.append(line)
                continue
        close()
        if not line.strip():
            keep(line, n, None)
        elif line.startswith("## "):
            m = _TRACK_HEADING.match(line)
            found = _track_of(m)
            if found is None:
                problems.append((n, f"not a track heading of the house format: {line[:60]!r} "
                                    f"(expected e.g. '## 1. Research')"))
                keep(line, n, None)
                track = area = None
            else:
                track, area = found, None
                digest.nodes.append(Heading(track=track, lineno=n))
        elif line.startswith("### "):
            found = _area_of(_AREA_HEADING.match(line), track)
            if found is None:
                problems.append((n, f"not an area heading of this track: {line[:60]!r} "
                                    f"(expected e.g. '### 1.2. NLP'; the number after the dot is fixed)"))
                keep(line, n, None)
                area = None
            else:
                area = found
                digest.nodes.append(Heading(track=track, area=area, lineno=n))
        elif _ENTRY_START.match(line):
            if track is None or area is None:
                problems.append((n, "an entry outside an area (no '### N.M.' heading above it)"))
                keep(line, n, None)
            else:
                block, block_at = [line], n
        else:
            keep(line, n, "a line that is not part of any entry (kept where it is)")
    close()

    if unsafe:  # in both modes: a script link must never travel on into any output
        raise DigestFormatError("the digest links to something other than http(s) pages",
                                path=digest.path, line=unsafe[0][0], problems=unsafe)
    digest.problems = sorted(problems)
    if strict and problems:
        raise DigestFormatError(f"{len(problems)} line(s) cannot be read as the house digest format",
                                path=digest.path, line=digest.problems[0][0], problems=digest.problems)
    return digest


def _unsafe(entry: DigestEntry) -> list[str]:
    out = []
    if not is_http_url(entry.url):
        out.append(f"the entry links to {entry.url[:60]!r}: only http(s) URLs are allowed")
    for link in entry.links:
        if not is_http_url(link.url):
            out.append(f"bullet {link.bullet_index + 1} links to {link.url[:60]!r}: only http(s) URLs are allowed")
    for img in entry.images:
        if safe_image_src(img["src"]) is None:
            out.append(f"image source {img['src'][:60]!r} is neither http(s) nor a relative path")
    return out


def _track_of(m: re.Match | None) -> str | None:
    if not m:
        return None
    for i, key in enumerate(TRACKS, 1):
        if int(m.group(1)) == i and m.group(2) == TRACK_TITLES[key]:
            return key
    return None


def _area_of(m: re.Match | None, track: str | None) -> str | None:
    if not m or track is None or int(m.group(1)) != TRACKS.index(track) + 1:
        return None
    for i, key in enumerate(AREAS, 1):
        if int(m.group(2)) == i and m.group(3) == AREA_TITLES[key]:
            return key
    return None


def render_digest(digest: Digest) -> str:
    """The digest as text; ``render_digest(parse_digest(t)) == t`` for every file that parses."""
    lines = digest.lines()
    text = digest.newline.join(lines) + (digest.newline if digest.final_newline and lines else "")
    return ("\ufeff" if digest.bom else "") + text
