"""Reading the house format: fields, quirks kept to the byte, and clear errors with line numbers."""

from __future__ import annotations

import pytest

from blogsift.digest import parse_digest, render_digest
from blogsift.digest.parse import parse_entry_line
from blogsift.errors import DigestFormatError

HEAD = "# Summary of Important AI & ML Blog Posts\n* NOTE: 기준\n  * 하나\n  * 둘\n\n"


def test_entry_line_fields_and_the_last_parenthesised_group_is_the_date():
    f = parse_entry_line("* [Accelerating Text Generation with Confident Adaptive Language Modeling (*CALM*) "
                         "(Dec 2022, Google)](https://ai.googleblog.com/2022/12/a.html?m=1)")
    assert f["title_md"] == "Accelerating Text Generation with Confident Adaptive Language Modeling (*CALM*)"
    assert (f["month"], f["org"], f["url"]) == ("2022-12", "Google", "https://ai.googleblog.com/2022/12/a.html?m=1")
    f = parse_entry_line("* [Post (Nov 2022) about (Jan 2020) things (Jan 2023)](https://x.org/a_(b))")
    assert (f["title_md"], f["month"], f["org"], f["url"]) == (
        "Post (Nov 2022) about (Jan 2020) things", "2023-01", None, "https://x.org/a_(b)")
    f = parse_entry_line("* [\\[Draft\\] A \\(lone paren (Feb 2022, 쿠팡)](https://m.example.com/%EC%BF%A0)")
    assert (f["title_md"], f["org"]) == ("\\[Draft\\] A \\(lone paren", "쿠팡")


def test_header_fields():
    d = parse_digest(HEAD + "## 1. Research\n### 1.1. CV\n* [A (Jan 2023)](https://a.example/)\n")
    assert (d.title, d.note, d.criteria) == ("Summary of Important AI & ML Blog Posts", "기준", ["하나", "둘"])
    assert d.entries[0].track == "research" and d.entries[0].area == "cv"


@pytest.mark.parametrize("text", [
    HEAD + "## 3. AWS ML Only\n### 3.4. Training, Inference and MLOps\n"
           "* [A (Jan 2023)](https://a.example/)   \n   * three-space bullet  \n    ![fig](./images/fig.png) \n",
    HEAD + "## 1. Research\n### 1.2. NLP\n* [A (January 2023, Meta)](https://a.example/)\n- [B (Sept 2022)](https://b.example/)",
    "\ufeff" + HEAD.replace("\n", "\r\n") + "## 1. Research\r\n### 1.1. CV\r\n* [A (Jan 2023)](https://a.example/)\r\n\r\n",
    HEAD + "## 1. Research\n### 1.1. CV\n* [A (Jan 2023)](https://a.example/)\n    * 불릿\n      이어지는 줄\n"
           "    - 대시 불릿\n        * 중첩 불릿\n*\n메모 한 줄\n\n\n",
    HEAD + "## 1. Research\n### 1.1. CV\n* [A (Jan 2023)](https://a.example/)\n    *\n    * \n",
    "",
    "\n",
    HEAD,
])
def test_quirks_render_back_byte_for_byte(text):
    assert render_digest(parse_digest(text)) == text


def test_quirky_entry_fields():
    d = parse_digest(HEAD + "## 1. Research\n### 1.1. CV\n* [A (Jan 2023)](https://a.example/)  \n"
                            "   * 하나  \n    * [1편](https://a.example/1)도 읽어보세요.\n![f](./images/f.png)\n")
    e = d.entries[0]
    assert e.bullets == ["하나", "[1편](https://a.example/1)도 읽어보세요."]
    assert e.images == [{"alt": "f", "src": "./images/f.png"}]
    assert [(link.text, link.see_also) for link in e.links] == [("1편", True)]
    assert e.fmt.bullets[0].indent == "   " and e.fmt.bullets[0].trailing == "  " and e.fmt.trailing == "  "
    assert e.lineno == 8 and e.raw_lines[0].endswith("  ")


def test_notes_are_kept_and_listed():
    text = HEAD + "## 1. Research\n### 1.1. CV\n* [A (Jan 2023)](https://a.example/)\n메모: 다시 읽기\n"
    d = parse_digest(text)
    assert d.unknown_lines == [(9, "a line that is not part of any entry (kept where it is)")]
    assert render_digest(d) == text


@pytest.mark.parametrize("body, line, words", [
    ("## 1. Research\n### 1.9. Vision\n", 7, "area heading"),
    ("## 3. AWS ML Only\n### 3.1. Training, Inference and MLOps\n", 7, "number after the dot"),
    ("## 4. Other\n", 6, "track heading"),
    ("## 1. Research\n### 1.1. CV\n* [No date](https://a.example/)\n", 8, "date"),
    ("## 1. Research\n### 1.1. CV\n* [A (Foo 2022)](https://a.example/)\n", 8, "unknown month"),
    ("## 1. Research\n### 1.1. CV\n* [A (Jan 2022)](https://a.example/with space)\n", 8, "percent-encode"),
    ("## 1. Research\n### 1.1. CV\n* [A (Jan 2022)](https://a.example/) trailing words\n", 8, "text after"),
    ("## 1. Research\n* [A (Jan 2022)](https://a.example/)\n", 7, "outside an area"),
    ("## 1. Research\n### 1.1. CV\n* [A (Jan 2022)](https://a.example/)\n* [B (Jan 2022)](https://a.example/)\n",
     9, "already listed on line 8"),
])
def test_what_cannot_be_read_is_reported_with_its_line(body, line, words):
    with pytest.raises(DigestFormatError) as info:
        parse_digest(HEAD + body, path="d.md")
    assert any(n == line and words in msg for n, msg in info.value.problems), info.value.problems
    assert f"d.md:{line}:" in str(info.value)
    # the lenient parse keeps those lines verbatim instead
    lenient = parse_digest(HEAD + body, strict=False)
    assert render_digest(lenient) == HEAD + body and lenient.problems


def test_every_problem_is_listed_at_once():
    body = "## 1. Research\n### 1.1. CV\n* [A](https://a.example/)\n### 1.7. X\n* [B (Jan 2022)](https://b.example/)\n"
    with pytest.raises(DigestFormatError) as info:
        parse_digest(HEAD + body)
    assert [n for n, _ in info.value.problems] == [8, 9, 10]


def test_mixed_line_endings_are_reported():
    with pytest.raises(DigestFormatError) as info:
        parse_digest("# D\r\n* NOTE: x\n\n## 1. Research\r\n", strict=False)
    assert info.value.problems and "line endings" in info.value.problems[0][1]


def test_script_links_are_refused_even_leniently():
    body = "## 1. Research\n### 1.1. CV\n* [A (Jan 2022)](javascript:alert(1))\n" \
           "* [B (Jan 2022)](https://b.example/)\n    * [클릭](javascript:alert(1))\n![x](data:image/png;base64,AA)\n"
    with pytest.raises(DigestFormatError) as info:
        parse_digest(HEAD + body, strict=False)
    assert [n for n, _ in info.value.problems] == [8, 9, 9]
