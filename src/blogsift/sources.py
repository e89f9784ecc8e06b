"""The source registry: the built-in TOML of blogs, the user's additions, OPML import and export.

OPML is parsed and written with the standard library's ElementTree (``defusedxml`` would add a
dependency for the one risk that matters here, entity expansion, which ElementTree's expat refuses
for external entities and which we bound by refusing files over ``MAX_OPML_BYTES``).
"""

from __future__ import annotations

import re
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import fields
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from .errors import SourceError
from .models import SOURCE_KINDS, Source

__all__ = ["builtin_registry", "builtin_url_prefixes", "load_registry", "parse_opml", "read_opml", "to_opml", "slugify",
           "kind_from_labels",
           "validate_source", "SourceResolver", "registry_resolver", "url_prefix"]

#: an OPML export of a few thousand feeds is well under this; anything bigger is not a reading list
MAX_OPML_BYTES = 5_000_000


def slugify(text: str) -> str:
    slug = re.sub(r"[^\w]+", "-", text.lower(), flags=re.UNICODE).strip("-")
    return slug[:80] or "source"


def validate_source(source: Source) -> Source:
    parts = urlsplit(source.feed_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SourceError(f"feed URL must be http(s): {source.feed_url!r}", source=source.key)
    if source.kind not in SOURCE_KINDS:
        raise SourceError(f"kind must be one of {', '.join(SOURCE_KINDS)}, not {source.kind!r}", source=source.key)
    if not 0.0 <= source.reputation <= 1.0:
        raise SourceError("reputation must be between 0 and 1", source=source.key)
    if source.kind in ("individual", "project") and source.org:
        # house rule: individuals' and project blogs show no organisation in entry lines
        source.org = None
    if source.discovery:
        from .discovery import discovery_config
        discovery_config(source)  # a bad `discovery` table is said when the registry is read, not at backfill
    return source


def _read_registry(path: str | Path) -> dict:
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SourceError(f"cannot read registry {path}: {exc}") from exc


def load_registry(path: str | Path) -> list[Source]:
    return _sources_from(_read_registry(path), str(path))


def _builtin_data() -> dict:
    return tomllib.loads(resources.files("blogsift").joinpath("data/registry.toml").read_text(encoding="utf-8"))


def builtin_registry() -> list[Source]:
    return _sources_from(_builtin_data(), "built-in registry")


def builtin_url_prefixes(path: str | Path | None = None) -> dict[str, list[str]]:
    """Each source's extra post URL prefixes (``urls`` in the registry): old and moved domains."""
    data = _read_registry(path) if path else _builtin_data()
    return {row["key"]: [str(u) for u in row.get("urls", [])] for row in data.get("source", []) if "key" in row}


#: registry keys that are not fields of a Source: where the blog's posts live, for URL resolution
_REGISTRY_ONLY_KEYS = {"urls"}


def _sources_from(data: dict, where: str) -> list[Source]:
    allowed = {f.name for f in fields(Source)}
    out, seen = [], set()
    for i, row in enumerate(data.get("source", []), 1):
        row = {k: v for k, v in row.items() if k not in _REGISTRY_ONLY_KEYS}
        unknown = set(row) - allowed
        if unknown:
            raise SourceError(f"{where}: source #{i} has unknown keys {sorted(unknown)}")
        try:
            source = validate_source(Source(**row))
        except TypeError as exc:
            raise SourceError(f"{where}: source #{i}: {exc}") from exc
        if source.key in seen:
            raise SourceError(f"{where}: duplicate key {source.key!r}", source=source.key)
        seen.add(source.key)
        out.append(source)
    return out


#: words of an OPML category or folder that say what kind of blog it is, checked in this order
#: ("Research engineering" is research); matched as whole words, any case
KIND_WORDS: dict[str, tuple[str, ...]] = {
    "research": ("research", "lab", "labs", "academic", "academia", "university", "institute", "science",
                 "papers", "연구", "연구소"),
    "individual": ("personal", "individual", "individuals", "people", "person", "blogger", "bloggers",
                   "newsletter", "newsletters", "개인"),
    "project": ("project", "projects", "open source", "open-source", "oss", "library", "libraries",
                "framework", "frameworks", "프로젝트", "오픈소스"),
    "company": ("company", "companies", "corporate", "engineering", "tech blog", "tech blogs", "industry",
                "startup", "startups", "기업", "회사", "테크 블로그"),
}
#: hosts where a blog is one person's (when nothing else says what kind it is)
PERSONAL_HOSTS = ("github.io", "substack.com", "blogspot.com", "wordpress.com", "medium.com/@", "tistory.com",
                  "velog.io", "brunch.co.kr")


def kind_from_labels(*labels: str) -> str | None:
    """The kind a category (``"/Research/Labs"``, ``"ml,personal"``) or folder title says, if any."""
    for kind, words in KIND_WORDS.items():
        for label in labels:
            low = (label or "").lower()
            if any(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", low) for w in words):
                return kind
    return None


def read_opml(content: bytes | str, *, default_lang: str = "en",
              registry: SourceResolver | None = None) -> list[tuple[Source, str]]:
    """Sources from an OPML reading list as feed readers write it (nested folders, xmlUrl), each with
    where its kind came from: ``"opml"`` (blogsift's own attribute), ``"registry"`` (a blog the
    registry knows, by its home page or feed URL), ``"category"`` (the outline's category or its
    folder's title), or ``"guess"`` (a personal blog host, else a company)."""
    raw = content.encode("utf-8") if isinstance(content, str) else content
    if len(raw) > MAX_OPML_BYTES:
        raise SourceError(f"OPML file too large ({len(raw)} bytes)")
    if b"<!ENTITY" in raw:
        raise SourceError("OPML with entity declarations is refused")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise SourceError(f"not a valid OPML file: {exc}") from exc
    if root.tag.lower() != "opml":
        raise SourceError(f"not an OPML file (root element <{root.tag}>)")
    out: list[tuple[Source, str]] = []
    keys: set[str] = set()

    def walk(node: ET.Element, folders: tuple[str, ...]) -> None:
        for child in node.findall("outline"):
            feed = child.get("xmlUrl") or child.get("xmlurl")
            if not feed:   # a folder: its title may say what kind of blogs it holds
                walk(child, folders + (child.get("title") or child.get("text") or "",))
                continue
            item = _opml_source(child, feed, folders, default_lang, registry, keys)
            if item is not None:
                out.append(item)

    walk(root.find("body") if root.find("body") is not None else root, ())
    return out


def _opml_source(node: ET.Element, feed: str, folders: tuple[str, ...], default_lang: str,
                 registry: SourceResolver | None, keys: set[str]) -> tuple[Source, str] | None:
    home = node.get("htmlUrl") or ""
    known = registry.resolve(home) or registry.resolve(feed) if registry is not None else None
    name = node.get("title") or node.get("text") or urlsplit(feed).netloc
    key = base = slugify(node.get("blogsift-key") or (known.key if known else name))
    n = 2
    while key in keys:
        key, n = f"{base}-{n}", n + 1
    keys.add(key)
    kind, how = node.get("blogsift-kind"), "opml"
    if not kind and known is not None:
        kind, how = known.kind, "registry"
    if not kind:
        kind, how = kind_from_labels(node.get("category") or "", *reversed(folders)), "category"
    if not kind:
        personal = any(h in f"{urlsplit(u).netloc}{urlsplit(u).path}" for u in (home, feed) for h in PERSONAL_HOSTS)
        kind, how = ("individual" if personal else "company"), "guess"
    src = Source(
        key=key, name=name, feed_url=feed, home_url=home or (known.home_url if known else ""),
        org=node.get("blogsift-org") or (known.org if known else None), kind=kind,
        lang=node.get("language") or node.get("blogsift-lang") or (known.lang if known else default_lang),
        aws=(node.get("blogsift-aws") == "true") or bool(known and known.aws),
        reputation=_float(node.get("blogsift-reputation"), known.reputation if known else 0.5),
    )
    try:
        return validate_source(src), how
    except SourceError:
        return None  # a non-http feed (e.g. a local file) cannot be watched; skip it, keep the rest


def parse_opml(content: bytes | str, *, default_lang: str = "en",
               registry: SourceResolver | None = None) -> list[Source]:
    """Sources from an OPML reading list (see ``read_opml``)."""
    return [source for source, _how in read_opml(content, default_lang=default_lang, registry=registry)]


def _float(value: str | None, default: float) -> float:
    try:
        return min(1.0, max(0.0, float(value))) if value is not None else default
    except ValueError:
        return default


def to_opml(sources: list[Source], title: str = "blogsift sources") -> str:
    """OPML 2.0 that feed readers import; blogsift's own fields ride along as extra attributes."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    for s in sources:
        attrs = {"type": "rss", "text": s.name, "title": s.name, "xmlUrl": s.feed_url, "htmlUrl": s.home_url,
                 "language": s.lang, "blogsift-key": s.key, "blogsift-kind": s.kind,
                 "blogsift-aws": "true" if s.aws else "false", "blogsift-reputation": f"{s.reputation:g}"}
        if s.org:
            attrs["blogsift-org"] = s.org
        ET.SubElement(body, "outline", attrs)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# -- URL → source -----------------------------------------------------------------------------------

#: a first path segment that names a language or locale (``/ko/``, ``/ja/``, ``/en-us/``, ``/pt-br/``)
_LOCALE_SEGMENT = re.compile(r"^[a-z]{2}(?:[-_][a-z]{2})?$")
#: host prefixes that serve the same site as the bare host
_HOST_ALIASES = ("www.", "m.")


def url_prefix(url: str) -> tuple[str, tuple[str, ...]] | None:
    """A URL (or a registry ``host/path`` prefix without a scheme) as (host, path segments), normalised
    the way blogs are linked in the wild: case, ``www.``, ports, doubled slashes and queries do not matter.
    The hand-written split is deliberate: courlan normalises whole URLs but does not compare prefixes."""
    text = url.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    host = (parts.hostname or "").lower().rstrip(".")
    for alias in _HOST_ALIASES:
        if host.startswith(alias):
            host = host[len(alias):]
    if not host:
        return None
    segments = tuple(seg for seg in parts.path.lower().split("/") if seg)
    return host, segments


class SourceResolver:
    """Which registered blog a post URL belongs to: the source whose home page or listed ``urls``
    prefix is the longest match of the post's host and path. Posts linked under a language path
    (``aws.amazon.com/ko/blogs/...``) resolve to a source registered for that path, else to the blog
    without the language segment."""

    def __init__(self, sources: list[Source], url_prefixes: dict[str, list[str]] | None = None):
        self._by_host: dict[str, list[tuple[tuple[str, ...], Source]]] = {}
        for source in sources:
            prefixes = [source.home_url] if source.home_url else []
            prefixes += (url_prefixes or {}).get(source.key, [])
            for prefix in prefixes:
                parsed = url_prefix(prefix)
                if parsed:
                    self._by_host.setdefault(parsed[0], []).append((parsed[1], source))
        for entries in self._by_host.values():
            entries.sort(key=lambda e: -len(e[0]))     # longest prefix first

    def resolve(self, url: str | None) -> Source | None:
        if not url:
            return None
        parsed = url_prefix(url)
        if parsed is None:
            return None
        host, segments = parsed
        candidates = self._by_host.get(host, [])
        found = self._match(candidates, segments)
        if found is None and segments and _LOCALE_SEGMENT.match(segments[0]):
            found = self._match(candidates, segments[1:])
        return found

    @staticmethod
    def _match(candidates, segments: tuple[str, ...]) -> Source | None:
        for prefix, source in candidates:
            if segments[: len(prefix)] == prefix:
                return source
        return None


def registry_resolver(sources: list[Source] | None = None, registry_path: str | None = None) -> SourceResolver:
    """A resolver over ``sources`` (the store's, say) with the registry's extra URL prefixes; the
    registry's own sources fill in blogs that ``sources`` lacks."""
    registry = load_registry(registry_path) if registry_path else builtin_registry()
    known = {s.key: s for s in registry}
    known.update({s.key: s for s in (sources or [])})
    return SourceResolver(list(known.values()), builtin_url_prefixes(registry_path))
