"""The digest as data: entries, headings and the lines a person wrote around them.

A ``Digest`` is the file in order, as a list of nodes: the header, track and area headings,
entries, blank lines and any other line a person added. Rendering joins the nodes' lines, so a
parsed file renders back to the same bytes; the structured fields of an entry (title, month,
bullets, ...) render through the same code the machine uses, with the entry's ``EntryFormat``
holding only what differs from the house canon (a 3-space indent, trailing spaces, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..models import AREAS, TRACKS

__all__ = [
    "TRACK_TITLES", "AREA_TITLES", "MONTHS", "DigestEntry", "EntryFormat", "LineFormat", "Link",
    "Header", "Heading", "RawLine", "Digest", "month_label", "entry_suffix", "track_heading",
    "area_heading", "links_in", "DEFAULT_NOTE", "DEFAULT_CRITERIA", "DEFAULT_TITLE", "default_header",
    "BASE_ID_LINE", "base_id_of",
]

TRACK_TITLES = {"research": "Research", "business": "Business Cases and Implementations", "aws": "AWS ML Only"}
AREA_TITLES = {"cv": "CV", "nlp": "NLP", "recsys_etc": "RecSys, etc.",
               "training_inference_mlops": "Training, Inference and MLOps"}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

#: the house bullet prefix; an entry keeps its own indentation only when it differs from this
BULLET_INDENT = "    "

DEFAULT_TITLE = "Summary of Important AI & ML Blog Posts"
#: the default header in the house language (configurable: settings.digest.note / .criteria)
DEFAULT_NOTE = "아래 글은 다음 기준으로 골랐음"
DEFAULT_CRITERIA = (
    "양질의 글을 꾸준히 쓰는 기업, 연구소, 개인의 블로그가 후보",
    "중요도와 인기도를 기준으로 선정",
    "순수 연구보다 비즈니스 적용 사례에 더 높은 비중",
    "소스 코드나 모델 체크포인트가 공개되면 중요도 상승",
    "AWS ML 관련 글은 별도 섹션으로 분리",
    "범위는 CV, NLP, 추천 시스템, 모델 학습과 추론, MLOps",
)


def default_header(title: str = DEFAULT_TITLE, note: str = "",
                   criteria: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The header lines (without the blank line that follows them)."""
    lines = [f"# {title or DEFAULT_TITLE}", f"* NOTE: {note or DEFAULT_NOTE}"]
    lines += [f"  * {c}" for c in (criteria or DEFAULT_CRITERIA)]
    return lines


def month_label(month: str) -> str:
    """``"2022-12"`` → ``"Dec 2022"``."""
    year, mon = month.split("-")
    return f"{MONTHS[int(mon) - 1]} {year}"


def entry_suffix(month: str, org: str | None) -> str:
    """The date part of an entry line, with its leading space: `` (Dec 2022, Google)``."""
    return f" ({month_label(month)}, {org})" if org else f" ({month_label(month)})"


def track_heading(track: str) -> str:
    return f"## {TRACKS.index(track) + 1}. {TRACK_TITLES[track]}"


def area_heading(track: str, area: str) -> str:
    return f"### {TRACKS.index(track) + 1}.{AREAS.index(area) + 1}. {AREA_TITLES[area]}"


@dataclass
class Link:
    text: str
    url: str
    bullet_index: int
    see_also: bool = False   # "read part N / the previous post too"

    def as_dict(self) -> dict:
        return {"text": self.text, "url": self.url, "bullet_index": self.bullet_index, "see_also": self.see_also}


# ``[text](url)`` inside a bullet: text without unescaped brackets, url with balanced parentheses
_LINK = re.compile(r"(?<![\\!])\[((?:\\.|[^\[\]\\])*)\]\(((?:[^()\s]|\([^()\s]*\))*)\)")
# what may sit between links of one "read these too" phrase: "[1편](u)과 [2편](u)도 읽어보세요"
_SEE_ALSO_TAIL = re.compile(r"^(?:\s*(?:과|와|,|및|그리고)\s*)?(?:\[[^\]]*\]\([^)]*\)\s*(?:과|와|,|및)?\s*)*"
                            r"(?:도|을|를)\s*(?:함께\s*|꼭\s*|같이\s*)?읽어\s*보세요")


def links_in(bullets: list[str]) -> list[Link]:
    """Every inline link of the bullets, marking "read part N / the previous post too" ones."""
    out = []
    for i, bullet in enumerate(bullets):
        for m in _LINK.finditer(bullet):
            tail = bullet[m.end():]
            out.append(Link(text=m.group(1), url=m.group(2), bullet_index=i,
                            see_also=bool(_SEE_ALSO_TAIL.match(tail))))
    return out


@dataclass
class LineFormat:
    """How one bullet or image line was written: ``indent + marker + gap + text + trailing``."""

    indent: str = BULLET_INDENT
    marker: str = "*"
    gap: str = " "
    trailing: str = ""


@dataclass
class EntryFormat:
    """What an entry written by a person does differently from the house canon.

    ``layout`` is the order of the entry's continuation lines: ``("b", i)`` bullet i, ``("i", j)``
    image j, ``("x", text)`` a line kept verbatim (a lazy continuation a person wrote).
    """

    marker: str = "*"
    trailing: str = ""                       # after the entry line's closing parenthesis
    suffix: str | None = None                # the date part as written, when not the canonical one
    bullets: list[LineFormat] = field(default_factory=list)
    images: list[LineFormat] = field(default_factory=list)
    layout: list[tuple] = field(default_factory=list)

    def as_dict(self) -> dict:
        from dataclasses import asdict
        d = asdict(self)
        d["layout"] = [list(x) for x in self.layout]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "EntryFormat":
        return cls(marker=d.get("marker", "*"), trailing=d.get("trailing", ""), suffix=d.get("suffix"),
                   bullets=[LineFormat(**b) for b in d.get("bullets", [])],
                   images=[LineFormat(**b) for b in d.get("images", [])],
                   layout=[tuple(x) for x in d.get("layout", [])])


@dataclass
class DigestEntry:
    """One post in the digest. ``fmt`` is None for an entry rendered by the house canon."""

    track: str
    area: str
    month: str                      # "YYYY-MM"
    title_md: str                   # title with *italic* model and **bold** product names
    url: str
    org: str | None = None
    bullets: list[str] = field(default_factory=list)   # verbatim text after "    * "
    images: list[dict] = field(default_factory=list)   # {"alt", "src"}
    seq: int = 0                    # acceptance order
    fmt: EntryFormat | None = None
    lineno: int | None = None       # first line in the parsed file (1-based)
    raw_lines: list[str] | None = None   # the entry's lines as read

    @property
    def links(self) -> list[Link]:
        return links_in(self.bullets)

    def fields(self) -> tuple:
        """What a person sees of the entry; two entries with equal fields read the same."""
        return (self.track, self.area, self.month, self.org, self.title_md, self.url, list(self.bullets),
                [{"alt": i.get("alt", ""), "src": i.get("src", "")} for i in self.images])

    def lines(self) -> list[str]:
        """The entry's Markdown lines (the same code renders machine and parsed entries)."""
        fmt = self.fmt or EntryFormat()
        suffix = fmt.suffix if fmt.suffix is not None else entry_suffix(self.month, self.org)
        out = [f"{fmt.marker} [{self.title_md}{suffix}]({self.url}){fmt.trailing}"]
        layout = fmt.layout
        same_shape = (len(fmt.bullets) == len(self.bullets) and len(fmt.images) == len(self.images)
                      and sum(1 for k in layout if k[0] == "b") == len(self.bullets)
                      and sum(1 for k in layout if k[0] == "i") == len(self.images))
        if not same_shape:   # bullets/images changed since the file was read: the house canon
            layout = ([("b", i) for i in range(len(self.bullets))] + [("i", j) for j in range(len(self.images))]
                      + [k for k in layout if k[0] == "x"])   # a person's extra lines are never dropped
            bfmt = [LineFormat() for _ in self.bullets]
            ifmt = [LineFormat(indent="", marker="", gap="") for _ in self.images]
        else:
            bfmt, ifmt = fmt.bullets, fmt.images
        for kind, ref in layout:
            if kind == "b":
                f = bfmt[ref]
                out.append(f"{f.indent}{f.marker}{f.gap}{self.bullets[ref]}{f.trailing}")
            elif kind == "i":
                f, img = ifmt[ref], self.images[ref]
                out.append(f"{f.indent}![{img.get('alt', '')}]({img.get('src', '')}){f.trailing}")
            else:
                out.append(ref)
        return out

    def to_markdown(self) -> str:
        return "\n".join(self.lines())


#: the line that names the machine's version a file was last published from (the base of the next
#: merge into it): an HTML comment, invisible where the Markdown is shown, kept like any header line
BASE_ID_LINE = "<!-- blogsift:base {id} -->"
_BASE_ID = re.compile(r"^<!-- blogsift:base ([0-9a-f]{16,64}) -->\s*$")


def base_id_of(line: str) -> str | None:
    m = _BASE_ID.match(line)
    return m.group(1) if m else None


@dataclass
class Header:
    """The digest's header: the level-1 title, the NOTE line and the criteria, kept as raw lines."""

    lines: list[str] = field(default_factory=list)

    @property
    def base_id(self) -> str | None:
        """The id of the machine's version this file was published from, when it says (``BASE_ID_LINE``)."""
        return next((i for i in map(base_id_of, self.lines) if i), None)

    @property
    def title(self) -> str | None:
        for line in self.lines:
            if line.startswith("# "):
                return line[2:].strip()
        return None

    @property
    def note(self) -> str | None:
        for line in self.lines:
            m = re.match(r"^[*-] NOTE:\s*(.*?)\s*$", line)
            if m:
                return m.group(1)
        return None

    @property
    def criteria(self) -> list[str]:
        return [m.group(1) for m in (re.match(r"^\s+[*-] (.*?)\s*$", ln) for ln in self.lines) if m]


@dataclass
class Heading:
    """A track (``area`` None) or area heading."""

    track: str
    area: str | None = None
    lineno: int | None = None

    def line(self) -> str:
        return track_heading(self.track) if self.area is None else area_heading(self.track, self.area)


@dataclass
class RawLine:
    """A line kept verbatim: a blank line, or something a person wrote that is not an entry."""

    text: str
    lineno: int | None = None

    @property
    def blank(self) -> bool:
        return not self.text.strip()


Node = Heading | DigestEntry | RawLine


@dataclass
class Digest:
    header: Header = field(default_factory=Header)
    nodes: list = field(default_factory=list)   # Heading | DigestEntry | RawLine, in file order
    newline: str = "\n"
    final_newline: bool = True
    bom: bool = False
    path: str | None = None
    #: (line, what) for lines that are kept verbatim but carry no entry (a person's notes)
    unknown_lines: list[tuple[int, str]] = field(default_factory=list)
    #: (line, what) for what could not be parsed (only filled by a lenient parse)
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def entries(self) -> list[DigestEntry]:
        return [n for n in self.nodes if isinstance(n, DigestEntry)]

    @property
    def base_id(self) -> str | None:
        return self.header.base_id

    @property
    def title(self) -> str | None:
        return self.header.title

    @property
    def note(self) -> str | None:
        return self.header.note

    @property
    def criteria(self) -> list[str]:
        return self.header.criteria

    def lines(self) -> list[str]:
        out = list(self.header.lines)
        for node in self.nodes:
            if isinstance(node, DigestEntry):
                out.extend(node.lines())
            elif isinstance(node, Heading):
                out.append(node.line())
            else:
                out.append(node.text)
        return out
