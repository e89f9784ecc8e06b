"""Key figures: the one image of a post worth showing under its digest entry.

Three steps, each with a small contract:

1. ``find_figures(tree, base_url)`` — at extraction, from the page HTML: every image of the article with
   its alt text, caption, declared size and position, scored for being an architecture, pipeline or
   results figure (caption, alt text, file name, position, size). Logos, avatars, icons, badges,
   tracking pixels, ads and share buttons are never candidates.
2. ``pick_figure(candidates)`` — the best candidate, or None when no image says it is a figure.
3. ``attach_figures(store, settings, images_dir)`` — before a digest is written: for each accepted entry
   whose figure is wanted (``digest.images`` on, or a person picked one in the review app), the image is
   downloaded through the guarded fetcher (size cap, private addresses and redirects to them refused,
   robots.txt), checked to be a raster image (PNG, JPEG, GIF or WebP by its bytes, not only its
   content type; SVG refused since it can carry scripts), saved under ``images/`` beside the digest with
   a stable name, and the entry gets ``![alt](./images/name.ext)``. A refused image is noted and the
   entry is kept without it. A person's choice (a figure, or none) always wins over the machine's.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import FetchError
from .models import Decision

__all__ = ["find_figures", "pick_figure", "attach_figures", "choose_figure", "person_choice", "figure_name",
           "check_image", "fetch_preview", "FigureRefused", "FigureReport", "FIGURE_DECISION"]

#: an image declared narrower or lower than this is an icon, a badge or a pixel, never a figure
MIN_SIDE = 120
#: a downloaded image smaller than this on its longest side is not a figure either
MIN_FETCHED_SIDE = 64
#: more pixels than this is a decompression bomb, not a figure (~ 8000 x 6000)
MAX_PIXELS = 48_000_000
#: images looked at per page (a gallery page has hundreds)
MAX_IMAGES = 60
#: candidates kept per post, best first
MAX_CANDIDATES = 8
#: a candidate below this score says nothing about being a figure: no key figure rather than a guess
MIN_SCORE = 0.3
#: candidates tried per entry when the first is refused
MAX_TRIES = 3
#: the decision a person makes in the review app: {"src": url} or {"none": true}
FIGURE_DECISION = "figure"
IMAGE_TYPES = {"image/png": ".png", "image/jpeg": ".jpg", "image/jpg": ".jpg", "image/gif": ".gif",
               "image/webp": ".webp"}

_FIGURE_WORDS = re.compile(
    r"architect|pipeline|\boverview\b|diagram|\bsystems?\b|framework|workflow|flow ?chart|\bflow\b|\bdesign\b|"
    r"structure|\bmodels?\b|\bresults?\b|benchmark|\bcharts?\b|\bgraphs?\b|\bplots?\b|comparison|performance|"
    r"latency|throughput|accuracy|speed-?up|\bfig(ure)?\b|\bfig\.|_arch\b|visual abstract|"
    r"구조|아키텍처|파이프라인|시스템|결과|성능|비교|개요|흐름|구성도|그림", re.I)
_NOT_FIGURE = re.compile(
    r"logo|avatar|icon|favicon|emoji|badge|sprite|pixel|tracking|tracker|spacer|blank\.|\bads?\b|advert|"
    r"banner|sponsor|promo|profile|gravatar|headshot|author|byline|share|social|twitter|facebook|linkedin|"
    r"button|placeholder|loading|signature|qr-?code|newsletter|subscribe|widget|comment|brand", re.I)
#: a photo credit: a picture of people or places, not a figure of the work
_PHOTO_CREDIT = re.compile(r"©|\(c\)|\bfoto\b|\bphoto\b|photographer|\bbild:|getty|unsplash|shutterstock|adobe ?stock|"
                           r"istock|pexels|\bcredit:|\bimage:|\bpicture:|사진", re.I)
_NOT_FIGURE_HOSTS = re.compile(r"doubleclick|googlesyndication|google-analytics|googletagmanager|/pixel|"
                               r"facebook\.com/tr|gravatar|shields\.io|badge|feedburner|stats\.wp|analytics|"
                               r"scorecardresearch|quantserve|adservice", re.I)
_CHROME = {"header", "nav", "footer", "aside", "form", "button", "a"}


class FigureRefused(Exception):
    """A figure that was not saved, and why (said in the digest run's notes)."""


@dataclass
class FigureReport:
    attached: list[str] = field(default_factory=list)       # entry URLs that got their figure
    removed: list[str] = field(default_factory=list)        # figures taken away (a person chose none)
    notes: list[str] = field(default_factory=list)          # refused images, with the reason


# -- 1. candidates -------------------------------------------------------------------------------

def _int(value: Any) -> int | None:
    m = re.match(r"\s*(\d{1,5})(?:px)?\s*$", str(value or ""))
    return int(m.group(1)) if m else None


def _src(img: Any) -> str:
    for attr in ("src", "data-src", "data-original", "data-lazy-src"):
        value = (img.get(attr) or "").strip()
        if value and not value.startswith("data:"):
            return value
    srcset = (img.get("srcset") or img.get("data-srcset") or "").strip()
    if srcset:   # the largest of the set: its last entry, by convention
        return srcset.split(",")[-1].strip().split(" ")[0]
    return ""


def _names(el: Any, depth: int = 3) -> str:
    """class and id of the element and its nearest ancestors (where "logo", "avatar", "ad" live)."""
    out = []
    while el is not None and depth >= 0:
        out.append(f"{el.get('class') or ''} {el.get('id') or ''}")
        el, depth = el.getparent(), depth - 1
    return " ".join(out)


def _in_chrome(img: Any) -> bool:
    el = img.getparent()
    while el is not None:
        if isinstance(el.tag, str) and el.tag.lower() in _CHROME and el.tag.lower() != "a":
            return True
        el = el.getparent()
    return False


def _caption(img: Any) -> str:
    el = img.getparent()
    for _ in range(4):
        if el is None:
            break
        if isinstance(el.tag, str) and el.tag.lower() == "figure":
            cap = el.find(".//figcaption")
            if cap is not None:
                return " ".join(cap.text_content().split())[:300]
            break
        el = el.getparent()
    return " ".join((img.get("title") or "").split())[:300]


def find_figures(tree: Any, base_url: str, *, og_image: str | None = None) -> list[dict]:
    """The figure candidates of a page (an lxml tree), best first: dicts with ``src`` (absolute URL),
    ``alt``, ``caption``, ``width``, ``height`` (declared, or None), ``position`` (order in the article),
    ``score`` and ``why``."""
    from .feeds import http_url

    roots = tree.xpath("//article") or tree.xpath("//main") or tree.xpath("//body") or [tree]
    root = max(roots, key=lambda r: len(r.text_content() or ""))
    images = list(root.iter("img"))[:MAX_IMAGES]
    out: dict[str, dict] = {}
    for position, img in enumerate(images):
        src = http_url(_src(img), base_url)
        if not src or src in out:
            continue
        alt = " ".join((img.get("alt") or "").split())[:300]
        caption = _caption(img)
        width, height = _int(img.get("width")), _int(img.get("height"))
        path = urlsplit(src).path.lower()
        if _NOT_FIGURE.search(f"{alt} {path} {_names(img)}") or _NOT_FIGURE_HOSTS.search(src) \
                or _PHOTO_CREDIT.search(f"{alt} {caption} {path}") \
                or _in_chrome(img) or (width is not None and width < MIN_SIDE) \
                or (height is not None and height < MIN_SIDE):
            continue
        score, why = 0.0, []
        if _FIGURE_WORDS.search(f"{alt} {caption}"):
            score += 0.5
            why.append("caption or alt text names a figure")
        if caption:
            score += 0.2
            why.append("captioned")
        if _FIGURE_WORDS.search(re.sub(r"[_-]+", " ", path.rsplit("/", 1)[-1])):
            score += 0.2
            why.append("file name names a figure")
        if width is not None and width >= 400:
            score += 0.15
            why.append(f"{width} px wide")
        score += 0.1 * (1 - position / max(1, len(images)))    # early figures tend to be the overview
        if path.endswith(".svg"):
            score -= 0.3
            why.append("SVG (refused on download)")
        if og_image and src == og_image:
            score -= 0.1                                          # the share image is often a cover
        out[src] = {"src": src, "alt": alt, "caption": caption, "width": width, "height": height,
                    "position": position, "score": round(score, 3), "why": why}
    ranked = sorted(out.values(), key=lambda c: (-c["score"], c["position"]))
    return ranked[:MAX_CANDIDATES]


def pick_figure(candidates: list[dict]) -> dict | None:
    """The key figure among the candidates, or None when none says it is one: a picture that only has a
    caption and a size is a photo as often as a figure, so its caption, alt text or file name must name
    a figure (architecture, pipeline, results, chart, ...)."""
    named = [c for c in candidates if c.get("score", 0) >= MIN_SCORE and _names_a_figure(c)]
    return max(named, key=lambda c: (c.get("score", 0), -c.get("position", 0)), default=None)


def _names_a_figure(candidate: dict) -> bool:
    return any(w in ("caption or alt text names a figure", "file name names a figure")
               for w in candidate.get("why") or [])


# -- 2. download ---------------------------------------------------------------------------------

def _sniff(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return ".png"
    if data.startswith(b"\xff\xd8\xff"):
        return ".jpg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return ".gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    return None


def check_image(data: bytes, content_type: str | None) -> str:
    """The file extension of a raster image that is safe to save; ``FigureRefused`` says why not."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    head = data[:512].lstrip().lower()
    if ctype == "image/svg+xml" or head.startswith((b"<svg", b"<?xml")) or b"<svg" in head:
        raise FigureRefused("an SVG image (it can carry scripts): refused")
    if ctype not in IMAGE_TYPES:
        raise FigureRefused(f"not an image (content type {ctype or 'missing'})")
    ext = _sniff(data)
    if ext is None:
        raise FigureRefused(f"the content is not a PNG, JPEG, GIF or WebP image (served as {ctype})")
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            width, height = im.size
            if width * height > MAX_PIXELS:
                raise FigureRefused(f"{width}x{height} pixels: too large to be a figure")
            im.verify()
    except FigureRefused:
        raise
    except Exception as exc:  # noqa: BLE001 — any decoder error means a broken or hostile file
        raise FigureRefused(f"a broken image ({type(exc).__name__})") from exc
    if max(width, height) < MIN_FETCHED_SIDE:
        raise FigureRefused(f"{width}x{height} pixels: an icon or a tracking pixel, not a figure")
    return ext


def figure_name(entry_url: str, src: str, ext: str) -> str:
    """A stable file name: the post's slug and a hash of the image's path (the same figure, the same file,
    whichever CDN host or port served it)."""
    parts = [p for p in urlsplit(entry_url).path.split("/") if p]
    slug = re.sub(r"\.(html?|php|aspx?|md)$", "", parts[-1] if parts else urlsplit(entry_url).hostname or "post")
    slug = re.sub(r"[^A-Za-z0-9가-힣_-]+", "-", slug).strip("-").lower()[:48] or "figure"
    image = urlsplit(src)
    key = f"{image.path}?{image.query}" if image.path else src
    return f"{slug}-{hashlib.sha256(key.encode()).hexdigest()[:8]}{ext}"


async def _download(fetcher: Any, src: str) -> tuple[bytes, str]:
    try:
        result = await fetcher.get(src, source="figure")
    except FetchError as exc:
        raise FigureRefused(str(exc)) from exc
    return result.content, check_image(result.content, result.headers.get("content-type"))


def _image_fetcher(settings: Any) -> Any:
    from .fetch import Fetcher

    fetch_settings = copy.deepcopy(settings.fetch)
    fetch_settings.max_bytes = settings.digest.image_max_bytes
    return Fetcher(fetch_settings)


async def fetch_preview(settings: Any, src: str) -> tuple[bytes, str]:
    """(bytes, media type) of a candidate figure, fetched and checked as a digest's figure is."""
    async with _image_fetcher(settings) as fetcher:
        data, ext = await _download(fetcher, src)
    return data, {".png": "image/png", ".jpg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp"}[ext]


# -- 3. the digest's figures -----------------------------------------------------------------------

def person_choice(store: Any, url: str) -> dict | None:
    """A person's newest figure decision for ``url``: ``{"src": ..., "alt": ...}`` or ``{"none": True}``."""
    for d in reversed(store.decisions_for(url)):
        if d.action == FIGURE_DECISION:
            return dict(d.payload)
    return None


def choose_figure(store: Any, url: str, author: str, src: str | None, *, alt: str = "") -> None:
    """Record a person's choice of figure for ``url``: one of its candidates, or none (``src`` None).
    The digest shows it from the next write on; no machine pick replaces it."""
    from .review import ReviewError, person

    who = person(author)
    if src is None:
        payload: dict = {"none": True}
    else:
        post = store.get_post(url)
        known = {c["src"]: c for c in store.get_figures(post.id)} if post is not None and post.id else {}
        if src not in known:
            raise ReviewError("that image is not one of the post's figure candidates", url=url)
        payload = {"src": src, "alt": alt or known[src].get("alt") or known[src].get("caption") or ""}
    store.add_decision(Decision(url=url, action=FIGURE_DECISION, author=who, payload=payload))


def _alt(candidate: dict, name: str) -> str:
    text = candidate.get("alt") or candidate.get("caption") or ""
    text = " ".join(re.sub(r"[\[\]()!*_`<>]", " ", text).split())
    if len(text) > 60:
        text = text[:60].rsplit(" ", 1)[0]
    return text or name.rsplit(".", 1)[0]


def attach_figures(store: Any, settings: Any, images_dir: Path, *, month: str | None = None,
                   fetcher: Any = None) -> FigureReport:
    """Give the accepted entries their key figure (see the module docstring); returns what happened."""
    report = FigureReport()
    work = []
    for entry in store.list_entries():
        if month and entry["month"] != month:
            continue
        choice = person_choice(store, entry["url"])
        machine = (entry.get("extra") or {}).get("figure") or {}
        if choice is not None and choice.get("none"):
            if entry["images"] and machine.get("src"):      # a figure blogsift put there: taken away
                _set_images(store, entry, [], {"none": True, "by": "person"})
                report.removed.append(entry["url"])
            continue
        if choice is not None:
            if machine.get("src") == choice["src"] and entry["images"]:
                continue
            work.append((entry, [{"src": choice["src"], "alt": choice.get("alt", "")}], "person"))
            continue
        if not settings.digest.images or entry["origin"] == "import" or entry["images"]:
            continue    # off; or the person's own file decides its figures; or it has one already
        post = store.get_post(entry["url"])
        candidates = [c for c in store.get_figures(post.id) if c.get("score", 0) >= MIN_SCORE
                      and _names_a_figure(c)] if post is not None and post.id else []
        refused = set(machine.get("refused") or [])
        candidates = [c for c in candidates if c["src"] not in refused][:MAX_TRIES]
        if candidates:
            work.append((entry, candidates, "machine"))
    if work:
        _run(_fetch_all(store, settings, Path(images_dir), work, report, fetcher))
    return report


def _run(coro: Any) -> None:
    """Run ``coro`` to the end, also when the caller already runs an event loop (then in a thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coro)
        return
    import threading

    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 — handed back to the caller below
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


async def _fetch_all(store: Any, settings: Any, images_dir: Path, work: list, report: FigureReport,
                     fetcher: Any) -> None:
    own = fetcher is None
    if own:
        fetcher = _image_fetcher(settings)
    try:
        for entry, candidates, by in work:
            refused = list(((entry.get("extra") or {}).get("figure") or {}).get("refused") or [])
            for cand in candidates:
                try:
                    data, ext = await _download(fetcher, cand["src"])
                except FigureRefused as exc:
                    report.notes.append(f"{entry['url']}: figure {cand['src']} refused: {exc}; "
                                        f"the entry is kept without it")
                    refused.append(cand["src"])
                    continue
                name = figure_name(entry["url"], cand["src"], ext)
                images_dir.mkdir(parents=True, exist_ok=True)
                target = images_dir / name
                if not target.exists() or target.read_bytes() != data:
                    tmp = target.with_name(f".{name}.tmp")
                    tmp.write_bytes(data)
                    tmp.replace(target)
                if _set_images(store, entry, [{"alt": _alt(cand, name), "src": f"./images/{name}"}],
                               {"src": cand["src"], "file": name, "by": by, "refused": refused}):
                    report.attached.append(entry["url"])
                else:
                    report.notes.append(f"{entry['url']}: a person changed the entry meanwhile; its figure "
                                        f"waits for the next write")
                break
            else:
                if refused:
                    _set_images(store, entry, entry["images"] if by == "machine" else [],
                                {"by": by, "refused": refused})
    finally:
        if own:
            await fetcher.aclose()


def _set_images(store: Any, entry: dict, images: list[dict], figure: dict) -> bool:
    """Write the entry's figure. The machine's own pick is written only over the entry as it was read
    (a person who changed the entry meanwhile wins); a person's pick is their decision, written as such.
    Only ``images`` and ``extra`` are written, so nothing else of the entry can be lost."""
    extra = dict(entry.get("extra") or {})
    extra["figure"] = figure
    values = {"url": entry["url"], "images": images, "extra": extra}
    if figure.get("by") == "machine" and entry.get("origin") == "machine" and "version" in entry:
        return store.put_machine_entry(values, expect_version=entry["version"])
    store.upsert_entry(values)
    return True
