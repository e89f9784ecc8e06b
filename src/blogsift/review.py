"""A person's decisions about posts: accept, reject, move, edit the title, edit the summary.

Every function records a :class:`~blogsift.models.Decision` (author and time; decisions are kept forever,
the newest wins) and then brings the digest entry in line with it. Entries a person touched get origin
``"person"``, which the pipeline never rewrites, and a person's summary is never replaced by a machine's.
The review web app and the ``accept`` / ``reject`` / ``move`` / ``edit`` commands both call these.

A post need not be accepted before it is moved or edited: the decision is kept, and when the post is
accepted later its entry is built with the newest move and title edit.
"""

from __future__ import annotations

import re
from typing import Iterable

from .errors import BlogsiftError
from .models import AREAS, TRACKS, Classification, Decision, Post, Summary
from .store import Store

__all__ = [
    "ReviewError",
    "accept",
    "reject",
    "move",
    "edit_title",
    "edit_summary",
    "parse_bullets",
    "person",
    "draft_title",
    "draft_bullets",
    "latest_payload",
]

#: longest title accepted; anything longer is a paste accident, not a title
MAX_TITLE_CHARS = 400
#: the house style has up to about seven bullets; room to spare, but an accidental dump is refused
MAX_BULLETS = 15
#: one bullet is a line of notes; a paragraph of this size is a mistake
MAX_BULLET_CHARS = 1200

# Markdown link targets: inline ``](target)`` and reference definitions ``[x]: target``
_INLINE_TARGET = re.compile(r"\]\(\s*<?([^)\s>]*)")
_REF_TARGET = re.compile(r"^\s*\[[^\]]*\]:\s*<?(\S*?)>?(?:\s|$)")
_SAFE_TARGET = re.compile(r"^(https?://|\./|#)", re.IGNORECASE)
_RAW_HTML = re.compile(r"<[A-Za-z!/?]")
_SCRIPT_SCHEME = re.compile(r"(?:java|vb)script\s*:", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_BULLET_MARK = re.compile(r"^\s*[*-]\s+")


class ReviewError(BlogsiftError):
    """A decision that cannot be made as asked (unknown post, bad track, unsafe text)."""

    def __init__(self, message: str, *, url: str | None = None):
        super().__init__(message)
        self.url = url

    def __str__(self) -> str:
        base = super().__str__()
        return f"{base} ({self.url})" if self.url and self.url not in base else base


def person(author: str) -> str:
    """The decision author for a person's name: ``"ana"`` → ``"person:ana"``."""
    name = (author or "").strip()
    if name.startswith("person:"):
        name = name[len("person:"):].strip()
    if not name or _CONTROL.search(name):
        raise ReviewError("a decision needs the name of the person making it")
    return f"person:{name}"


def parse_bullets(text: str) -> list[str]:
    """Summary bullets from a textarea: one per line; blank lines dropped, a pasted ``* `` mark removed."""
    out = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = _BULLET_MARK.sub("", line, count=1).strip()
        if line:
            out.append(line)
    return out


def latest_payload(store: Store, url: str, action: str) -> dict | None:
    """The payload of the newest decision of this kind about ``url``, if any."""
    for d in reversed(store.decisions_for(url)):
        if d.action == action:
            return d.payload
    return None


def draft_title(store: Store, url: str) -> str:
    """The digest title a person would start editing from: the entry's, a pending edit, or the house title."""
    entry = store.get_entry(url)
    if entry:
        return entry["title_md"]
    pending = latest_payload(store, url, "edit_title")
    if pending and pending.get("title_md"):
        return pending["title_md"]
    post = store.get_post(url)
    if post is None:
        raise ReviewError("no post or digest entry with this URL", url=url)
    from .digest import house_title
    return house_title(post.title)


def draft_bullets(store: Store, url: str) -> list[str]:
    """The summary bullets a person would start editing from: the entry's, else the post's summary."""
    entry = store.get_entry(url)
    if entry:
        return list(entry["bullets"])
    post = store.get_post(url)
    summary = store.get_summary(post.id) if post else None
    return list(summary.bullets) if summary else []


# -- the decisions ---------------------------------------------------------------------------------

def accept(store: Store, url: str, author: str, *, track: str | None = None, area: str | None = None) -> dict:
    """Put the post in the digest (optionally under ``track``/``area``); returns the entry."""
    who = person(author)
    if (track is None) != (area is None):
        raise ReviewError("give both a track and an area, or neither", url=url)
    if track is not None:
        _check_place(url, track, area)
    post, _entry = _load(store, url)

    def change(entry: dict | None) -> tuple[Decision, dict]:
        if entry is None:
            values = _new_entry(store, post, status="accepted", track=track, area=area)
        else:
            values = {"url": url, "status": "accepted", "origin": "person"}
            if entry["status"] != "accepted":
                values["seq"] = _next_seq(store)   # acceptance order: it is accepted now
            if track is not None and (track, area) != (entry["track"], entry["area"]):
                values.update(_place(store, post, entry, track, area))
        final = {**(entry or {}), **values}
        return Decision(url=url, action="accept", author=who,
                        payload={"track": final["track"], "area": final["area"]}), values

    return store.decide(url, change)


def reject(store: Store, url: str, author: str, *, reason: str | None = None) -> dict:
    """Keep the post out of the digest for good (the pipeline never selects it again)."""
    who = person(author)
    post, _entry = _load(store, url)
    payload = {"reason": reason.strip()} if reason and reason.strip() else {}

    def change(entry: dict | None) -> tuple[Decision, dict]:
        if entry is None:
            try:
                values = _new_entry(store, post, status="rejected")
            except ReviewError:  # nothing classified it yet: the rejection does not need a place
                values = _new_entry(store, post, status="rejected", track=TRACKS[0], area=AREAS[-1])
        else:
            values = {"url": url, "status": "rejected", "origin": "person"}
        return Decision(url=url, action="reject", author=who, payload=payload), values

    return store.decide(url, change)


def move(store: Store, url: str, author: str, track: str, area: str) -> dict | None:
    """File the post under another track and area; returns the entry (None if not in the digest yet)."""
    who = person(author)
    _check_place(url, track, area)
    post, _entry = _load(store, url)

    def change(entry: dict | None) -> tuple[Decision, dict | None]:
        if entry is not None:
            before = (entry["track"], entry["area"])
        else:
            pending = latest_payload(store, url, "move")
            c = store.get_classification(post.id) if post else None
            before = (pending["track"], pending["area"]) if pending else (c.track, c.area) if c else (None, None)
        decision = Decision(url=url, action="move", author=who, payload={
            "track": track, "area": area, "from_track": before[0], "from_area": before[1]})
        if entry is None:
            return decision, None
        return decision, {"url": url, "origin": "person", **_place(store, post, entry, track, area)}

    return store.decide(url, change)


def edit_title(store: Store, url: str, author: str, title_md: str) -> dict | None:
    """Set the digest title with its emphasis (``*Model*``, ``**Product**``); returns the entry, if any."""
    who = person(author)
    title = _CONTROL.sub("", title_md.replace("\r", " ").replace("\n", " ")).strip()
    if not title:
        raise ReviewError("the title cannot be empty", url=url)
    if len(title) > MAX_TITLE_CHARS:
        raise ReviewError(f"the title is longer than {MAX_TITLE_CHARS} characters", url=url)
    _check_markdown(url, title, "title")
    _load(store, url)

    def change(entry: dict | None) -> tuple[Decision, dict | None]:
        values = None if entry is None else {"url": url, "title_md": title, "origin": "person"}
        return Decision(url=url, action="edit_title", author=who, payload={"title_md": title}), values

    return store.decide(url, change)


def edit_summary(store: Store, url: str, author: str, bullets: Iterable[str] | str,
                 *, lang: str | None = None) -> dict | None:
    """Replace the summary bullets with a person's; returns the entry, if any."""
    who = person(author)
    items = parse_bullets(bullets) if isinstance(bullets, str) else \
        [b for b in (_CONTROL.sub("", str(x)).strip() for x in bullets) if b]
    items = [_CONTROL.sub("", b) for b in items]
    if len(items) > MAX_BULLETS:
        raise ReviewError(f"at most {MAX_BULLETS} bullets, got {len(items)}", url=url)
    for i, b in enumerate(items, 1):
        if len(b) > MAX_BULLET_CHARS:
            raise ReviewError(f"bullet {i} is longer than {MAX_BULLET_CHARS} characters", url=url)
        _check_markdown(url, b, f"bullet {i}")
    post, _entry = _load(store, url)
    if post is not None:   # the summary first: a run that summarizes the post now will not replace it
        current = store.get_summary(post.id)
        store.put_summary(post.id, Summary(bullets=items, author=who,
                                           lang=lang or (current.lang if current else "ko")))

    def change(entry: dict | None) -> tuple[Decision, dict | None]:
        values = None if entry is None else {"url": url, "bullets": items, "origin": "person",
                                             "summary_author": who}
        return Decision(url=url, action="edit_summary", author=who, payload={"bullets": items}), values

    return store.decide(url, change)


# -- helpers ---------------------------------------------------------------------------------------

def _load(store: Store, url: str) -> tuple[Post | None, dict | None]:
    post, entry = store.get_post(url), store.get_entry(url)
    if post is None and entry is None:
        raise ReviewError("no post or digest entry with this URL", url=url)
    return post, entry


def _check_place(url: str, track: str | None, area: str | None) -> None:
    if track not in TRACKS:
        raise ReviewError(f"unknown track {track!r}; one of {', '.join(TRACKS)}", url=url)
    if area not in AREAS:
        raise ReviewError(f"unknown area {area!r}; one of {', '.join(AREAS)}", url=url)


def _check_markdown(url: str, text: str, what: str) -> None:
    """Refuse text that would put HTML or a non-web link into the digest."""
    if _RAW_HTML.search(text):
        raise ReviewError(f"{what}: raw HTML is not allowed in the digest", url=url)
    if _SCRIPT_SCHEME.search(text):
        raise ReviewError(f"{what}: script URLs are not allowed", url=url)
    targets = _INLINE_TARGET.findall(text) + [m.group(1) for m in [_REF_TARGET.match(text)] if m]
    for target in targets:
        if target and not _SAFE_TARGET.match(target):
            raise ReviewError(f"{what}: links must be http(s) URLs, not {target[:60]!r}", url=url)


def _place(store: Store, post: Post | None, entry: dict, track: str, area: str) -> dict:
    """Track and area of a moved entry; the org follows the house rule (none on the AWS track)."""
    values: dict = {"track": track, "area": area}
    if track == "aws":
        values["org"] = None
    elif entry["track"] == "aws" and post is not None:
        source = store.get_source(post.source_key)
        values["org"] = source.org if source else None
    return values


def _next_seq(store: Store) -> int:
    import sqlalchemy as sa
    entries = store.tables["entries"]
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(entries.c.seq), 0))).scalar_one()) + 1


def _new_entry(store: Store, post: Post | None, *, status: str, track: str | None = None,
               area: str | None = None) -> dict:
    """An entry for a post that has none: its classification, summary, and the pending person decisions."""
    from .curation import entry_for

    assert post is not None and post.id is not None  # _load guarantees a post when there is no entry
    c = store.get_classification(post.id)
    if track is None:
        pending = latest_payload(store, post.url, "move")
        if pending:
            track, area = pending["track"], pending["area"]
        elif c is not None:
            track, area = c.track, c.area
        else:
            raise ReviewError("the post has no track and area yet; give them", url=post.url)
    place = Classification(in_scope=True, in_scope_conf=1.0, track=track, track_conf=1.0, area=area,
                           area_conf=1.0, model="person")
    summary = store.get_summary(post.id)
    values = entry_for(post, place, store.get_source(post.source_key),
                       summary.bullets if summary else [], summary.author if summary else "")
    title = latest_payload(store, post.url, "edit_title")
    if title and title.get("title_md"):
        values["title_md"] = title["title_md"]
    values.update(origin="person", status=status)
    return values
