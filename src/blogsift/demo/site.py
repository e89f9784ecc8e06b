"""The demo web: fictional blogs rendered as real pages and feeds from ``content.py``."""

from __future__ import annotations

import hashlib
import struct
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import lru_cache
from xml.sax.saxutils import escape

from jinja2 import Environment

from ..korean import attach
from ..models import Source
from .content import POSTS, SOURCES

__all__ = ["DemoPost", "demo_posts", "demo_sources", "render_page", "render_feed", "tiny_png", "figure_png",
           "DISALLOWED_PATH"]

#: a path robots.txt forbids; a post links to it and the fetcher must not follow
DISALLOWED_PATH = "/private/"


@dataclass
class DemoPost:
    source: str
    slug: str
    title: str
    lang: str
    published: datetime
    in_scope: bool
    track: str
    area: str | None
    facts: dict = field(default_factory=dict)
    text: str = ""

    @property
    def path(self) -> str:
        return f"/{self.source}/posts/{self.slug}.html"


_INTRO_EN = {
    "company": "{Org} runs {what} for millions of people, and the old approach had reached its limits. This post "
               "walks through what we built, the trade-offs we made and the results we measured in production.",
    "research": "At {Org} we have been studying {what}. This post summarises the method, the experiments and what "
                "we learned, with links to the paper and the code.",
    "individual": "I have been thinking about {what} for a while. These are my notes: what works, what does not, "
                  "and the numbers behind it.",
    "project": "This post covers {what}: what changed, how to use it and the benchmarks we ran on common models.",
}
#: the problem a post starts from, by kind of blog; each post takes one by its slug, so that the demo's
#: posts (and their summaries) do not all open on the same sentence
_PROBLEM_EN = {
    "company": ["Before this work, {what} depended on hand-tuned rules and batch jobs that ran once a day.",
                "The previous setup for {what} had grown by accretion, and nobody wanted to touch it.",
                "Every change to {what} used to take weeks of hand work, and it showed in the metrics."],
    "research": ["Existing approaches to {what} trade quality for compute, and the gap widens as models grow.",
                 "The strongest published results on {what} need far more compute than most teams can spend."],
    "project": ["Until this release, {what} meant stitching several tools together by hand.",
                "Users asked for {what} for a long time; the workarounds were slow and fragile."],
    "individual": ["Most write-ups on {what} stop at the toy example, and the hard parts start after it."],
}
#: how the approach section opens, by kind of blog
_APPROACH_EN = {"company": "We built the system around {tools}.", "research": "The method builds on {tools}.",
                "project": "This release builds on {tools}.", "individual": "The setup I ended up with uses {tools}."}
_EN = [
    "{intro}",
    "## The problem\n\n{problem} "
    "Quality was uneven across segments, and every change needed weeks of manual checks. We set ourselves a "
    "measurable goal and a strict latency budget before writing any code.",
    "## Approach\n\n{approach} {tool0} does the heavy lifting, while the rest of the stack "
    "keeps data fresh and the serving path simple. We started with a small offline prototype, compared it "
    "with the existing baseline on a frozen evaluation set, and only then moved to shadow traffic.",
    "The training data came from logged interactions and a labelled sample reviewed by domain experts. We "
    "removed duplicates, balanced rare classes and kept a time-based split so that evaluation reflects the "
    "future rather than the past.",
    "## Results\n\n{numbers}. These figures come from an online experiment that ran for several weeks, "
    "and they held across regions and device types.",
    "## Lessons learned\n\nMeasure before you optimise, keep the baseline running next to the new system, and "
    "make rollback boring. The evaluation harness turned out to be as valuable as the model itself.",
]
_KO = [
    "{org+은} {what} 문제를 오랫동안 고민해 왔습니다. 이 글에서는 우리가 만든 시스템과 설계 과정의 선택, 그리고 "
    "실제 서비스에서 측정한 결과를 소개합니다.",
    "## 문제\n\n기존에는 {what} 작업이 수작업 규칙과 하루 한 번 도는 배치 작업에 의존했습니다. 구간별 품질 편차가 컸고 "
    "변경할 때마다 몇 주씩 수동 검증이 필요했습니다. 그래서 코드를 쓰기 전에 측정 가능한 목표와 지연 시간 예산부터 정했습니다.",
    "## 접근 방법\n\n시스템은 {tools+을} 중심으로 구성했습니다. 핵심은 {tool0+이고}, 나머지 구성 요소는 데이터를 최신으로 "
    "유지하고 서빙 경로를 단순하게 만듭니다. 작은 오프라인 프로토타입으로 시작해 고정된 평가 세트에서 기존 방식과 비교한 뒤 "
    "섀도 트래픽으로 넘어갔습니다.",
    "학습 데이터는 서비스 로그와 도메인 전문가가 검수한 레이블 샘플로 만들었습니다. 중복을 제거하고 드문 클래스의 균형을 맞췄으며, "
    "평가가 미래의 데이터를 반영하도록 시간 기준으로 분할했습니다.",
    "## 결과\n\n{numbers}. 이 수치는 몇 주 동안 진행한 온라인 실험에서 얻은 것이며 지역과 기기 종류에 관계없이 유지되었습니다.",
    "## 배운 점\n\n최적화하기 전에 먼저 측정하고, 새 시스템 옆에서 기존 시스템을 계속 돌리며, 롤백은 지루할 만큼 쉽게 만들어야 합니다. "
    "평가 도구는 모델만큼이나 가치가 있었습니다.",
]
_OFF_EN = ["We are happy to share some news about {what}. It has been an exciting season for everyone.",
           "There will be {numbers0}, and we look forward to seeing many of you there. Thank you to everyone who "
           "made this possible, and stay tuned for photos and more updates on our social channels.",
           "If you have questions, reach out to our team. We read every message and will get back to you soon."]
_OFF_KO = ["{what} 소식을 전해 드립니다. 모두에게 뜻깊은 시간이었습니다.",
           "{numbers0} 규모로 진행되며 많은 분들의 참여를 기다립니다. 함께해 주신 모든 분께 감사드리며, 사진과 소식은 "
           "공식 채널에서 계속 전해 드리겠습니다.",
           "궁금한 점이 있으면 언제든 문의해 주세요. 모든 메시지를 읽고 빠르게 답변드리겠습니다."]


def _sentence_case(s: str) -> str:
    return s[:1].upper() + s[1:]


def _source_rows() -> dict[str, tuple]:
    return {row[0]: row for row in SOURCES}


def _paragraphs(p: DemoPost) -> list[str]:
    src = _source_rows()[p.source]
    org = src[2] or src[1]
    f = p.facts
    tools = f.get("tools") or ["our stack"]
    kind = src[3] if src[3] in _INTRO_EN else "company"
    intro = _INTRO_EN[kind].format(Org=org, what=f["what"])
    problems = _PROBLEM_EN[kind]
    problem = _sentence_case(problems[zlib.crc32(p.slug.encode()) % len(problems)].format(what=f["what"]))
    approach = _APPROACH_EN[kind].format(tools=", ".join(tools))
    fill = dict(intro=intro, problem=problem, approach=approach, Org=org, org=org, what=f["what"],
                tools=", ".join(tools), tool0=tools[0],
                numbers=_sentence_case("; ".join(f.get("numbers", []))), numbers0=(f.get("numbers") or [""])[0])
    # Korean templates write "{org+은}": the word with the particle its final sound takes
    fill.update({f"{key}+{p}": attach(fill[key], p) for key in ("org", "tools", "tool0")
                 for p in ("은", "이", "을", "과", "으로", "이고")})
    if p.area is None:
        templates = _OFF_KO if p.lang == "ko" else _OFF_EN
    else:
        templates = _KO if p.lang == "ko" else _EN
    return [t.format(**fill) for t in templates]


@lru_cache(maxsize=1)
def demo_posts() -> list[DemoPost]:
    langs = {row[0]: row[4] for row in SOURCES}
    out = []
    for source, slug, date, title, track, area, facts in POSTS:
        y, m, d = (int(x) for x in date.split("-"))
        p = DemoPost(source=source, slug=slug, title=title, lang=langs[source],
                     published=datetime(y, m, d, 9, 0, tzinfo=UTC), in_scope=area is not None,
                     track=track, area=area, facts=facts)
        p.text = "\n\n".join(_paragraphs(p))
        out.append(p)
    return out


def demo_sources(base_url: str) -> list[Source]:
    return [Source(key=k, name=name, feed_url=f"{base_url}/{k}/feed.xml", home_url=f"{base_url}/{k}/",
                   org=org, kind=kind, lang=lang, aws=aws, reputation=rep)
            for k, name, org, kind, lang, aws, rep, _fmt, _val in SOURCES]


_env = Environment(autoescape=True)
_PAGE = _env.from_string("""<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><title>{{ title }} | {{ blog }}</title>
<meta name="author" content="{{ author }}">
<meta property="article:published_time" content="{{ published }}">
<link rel="canonical" href="{{ canonical }}">
<link rel="alternate" type="application/rss+xml" href="{{ base }}/{{ source }}/feed.xml">
</head><body>
<header><nav><a href="{{ base }}/{{ source }}/">{{ blog }}</a> | <a href="{{ base }}/{{ source }}/about.html">About</a>
 | <a href="{{ base }}/{{ source }}/careers.html">Careers</a></nav></header>
<main><article>
<h1>{{ title }}</h1>
<p class="byline"><img class="avatar" src="{{ base }}/{{ source }}/images/avatar.png" alt="{{ author }}" width="32" height="32"> {{ author }} · <time datetime="{{ published }}">{{ published[:10] }}</time></p>
{% for block in blocks %}{% if block.startswith('## ') %}<h2>{{ block[3:] }}</h2>{% else %}<p>{{ block }}</p>{% endif %}
{% endfor %}
{% if figure %}<figure><img src="{{ base }}/{{ source }}/images/{{ slug }}.png" alt="{{ slug }} architecture">
<figcaption>{{ 'Figure 1' }}</figcaption></figure>{% endif %}
{% if code_snippet %}<pre><code>{{ code_snippet }}</code></pre>{% endif %}
{% if links %}<p>{% for text, href in links %}<a href="{{ href }}">{{ text }}</a>{% if not loop.last %} · {% endif %}{% endfor %}</p>{% endif %}
</article>
<aside><h3>Related</h3><ul><li><a href="{{ base }}/{{ source }}/">More posts</a></li>
<li><a href="{{ base }}{{ disallowed }}draft.html">Drafts</a></li></ul></aside>
<section class="comments"><h3>Comments</h3><p>Great post, thanks for sharing!</p></section></main>
<footer>© 2026 {{ blog }}. All rights reserved. <a href="{{ base }}/{{ source }}/privacy.html">Privacy</a></footer>
</body></html>""")


def render_page(p: DemoPost, base: str) -> str:
    src = _source_rows()[p.source]
    f = p.facts
    ko = p.lang == "ko"
    links = []
    if f.get("code"):
        links.append(("코드 저장소" if ko else "Code on GitHub", f["code"]))
    if f.get("model"):
        links.append(("모델 체크포인트" if ko else "Model checkpoint", f["model"]))
    if f.get("paper"):
        links.append(("논문" if ko else "Paper", f["paper"]))
    if f.get("previous"):
        links.append(("이전 글: 1편" if ko else "Previous post", f"{base}/{p.source}/posts/{f['previous']}.html"))
    snippet = None
    if p.area and f.get("tools"):
        snippet = f"# {f['tools'][0]}\nconfig = load_config('{p.slug}.yaml')\nmodel = build(config)\nmodel.fit(train_set)"
    return _PAGE.render(lang=p.lang, title=p.title, blog=src[1], author=("김하늘" if ko else "Mira Chen" if p.source == "mira" else "Alex Park"),
                        published=p.published.isoformat(), canonical=f"{base}{p.path}", base=base, source=p.source,
                        slug=p.slug, blocks=p.text.split("\n\n"), figure=p.area is not None, code_snippet=snippet,
                        links=links, disallowed=DISALLOWED_PATH)


def render_feed(source_key: str, base: str) -> tuple[str, str]:
    """(content type, XML) of a source's feed: RSS 2.0 or Atom, full text or summary only."""
    row = _source_rows()[source_key]
    fmt = row[7]
    posts = sorted((p for p in demo_posts() if p.source == source_key), key=lambda p: p.published, reverse=True)
    full_text = source_key in ("mira", "hanbit")
    if fmt == "rss":
        items = []
        for p in posts:
            summary = escape(p.text.split("\n\n")[0])
            content = f"<content:encoded><![CDATA[{render_page(p, base)}]]></content:encoded>" if full_text else ""
            items.append(f"<item><title>{escape(p.title)}</title><link>{base}{p.path}</link><guid>{base}{p.path}</guid>"
                         f"<pubDate>{format_datetime(p.published)}</pubDate><description>{summary}</description>{content}</item>")
        xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
               f"<channel><title>{escape(row[1])}</title><link>{base}/{source_key}/</link><description>{escape(row[1])}</description>"
               f"{''.join(items)}</channel></rss>\n")
        return "application/rss+xml; charset=utf-8", xml
    entries = []
    for p in posts:
        body = f'<content type="html">{escape(render_page(p, base))}</content>' if full_text else \
            f"<summary>{escape(p.text.split(chr(10) * 2)[0])}</summary>"
        entries.append(f"<entry><title>{escape(p.title)}</title><link href=\"{base}{p.path}\"/><id>{base}{p.path}</id>"
                       f"<updated>{p.published.isoformat()}</updated>{body}</entry>")
    updated = posts[0].published.isoformat() if posts else "2026-09-01T00:00:00+00:00"
    xml = (f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>{escape(row[1])}</title>'
           f'<link href="{base}/{source_key}/"/><id>{base}/{source_key}/</id><updated>{updated}</updated>'
           f"{''.join(entries)}</feed>\n")
    return "application/atom+xml; charset=utf-8", xml


def figure_png(p: DemoPost) -> bytes:
    """The post's architecture figure: its tools as boxes joined by arrows (drawn, so nothing is copied)."""
    from io import BytesIO

    from PIL import Image, ImageDraw

    tools = [t for t in p.facts.get("tools") or [] if t.isascii()] or [p.slug]
    width, height = 160 + 200 * len(tools), 200
    im = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(im)
    r, g, b = hashlib.sha256(p.slug.encode()).digest()[:3]
    for i, tool in enumerate(["input", *tools]):
        x = 20 + 200 * i
        draw.rectangle((x, 70, x + 150, 130), outline=(r // 2, g // 2, b // 2), width=3, fill=(r | 160, g | 160, b | 160))
        draw.text((x + 10, 92), tool[:22], fill="black")
        if i:
            draw.line((x - 50, 100, x, 100), fill="black", width=3)
            draw.polygon(((x, 100), (x - 10, 94), (x - 10, 106)), fill="black")
    draw.text((20, 20), f"{p.title[:70]}" if p.title.isascii() else p.slug, fill="black")
    out = BytesIO()
    im.save(out, format="PNG")
    return out.getvalue()


def tiny_png(seed: str, size: int = 8) -> bytes:
    """A small, valid PNG whose colour comes from ``seed`` (figures for the demo pages)."""
    r, g, b = hashlib.sha256(seed.encode()).digest()[:3]
    raw = b"".join(b"\x00" + bytes([r, g, b]) * size for _ in range(size))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
