"""Publishing into a digest a person keeps: add the new entries, keep every byte they wrote.

``merge_into`` is a three-way merge per entry (keyed by URL) between the file as it is now, the
machine's new version, and the base: what the machine published last time. An entry the person
changed in the file stays as they left it; when the machine has also changed it since the base,
the person still wins and the conflict is reported. An entry the person deleted is not brought
back. New entries go where the ordering rules put them, with their track and area headings
created in the right place when missing. ``publish_into`` writes the result atomically and keeps
the previous file as ``PATH.bak``.

The file is replaced only if it is still the file that was read: its content hash is checked right
before the atomic rename, and when a person saved it in the meantime the merge is redone on what
they saved. The base is found by the id written into the file (``BASE_ID_LINE``, an HTML comment
in the header: the hash of the machine's version), so a copied or renamed digest merges against the
version it was published from; a file without one falls back to the base kept for its path.
"""

from __future__ import annotations

import glob
import hashlib
import os
import time
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DigestChanged, DigestFormatError
from ..models import AREAS, TRACKS
from .model import BASE_ID_LINE, Digest, DigestEntry, Heading, RawLine, base_id_of
from .parse import parse_digest, render_digest
from .render import house_order, machine_entry, render_markdown
from .safety import UnsafeText

__all__ = ["MergeResult", "Conflict", "merge_into", "publish_into", "atomic_write", "place_entry",
           "drop_entry", "PUBLISHED_DOC", "with_base_id", "file_hash"]

#: store document holding the machine's version of every entry it published: the base of the next
#: merge. Keyed by the base id written into the file (older files without one: by their path).
PUBLISHED_DOC = "published:{key}"
#: a temp file of a write older than this was left by a killed writer (a write takes milliseconds)
STALE_TEMP_S = 600
#: how many times a publish redoes its merge when the file keeps changing under it before giving up
REMERGE_ATTEMPTS = 5


@dataclass
class Conflict:
    url: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.url}: {self.message}"


@dataclass
class MergeResult:
    text: str
    added: list[str] = field(default_factory=list)       # URLs of entries inserted
    updated: list[str] = field(default_factory=list)     # machine changes applied (the person had not edited)
    conflicts: list[Conflict] = field(default_factory=list)
    kept_deleted: list[str] = field(default_factory=list)  # deleted by the person: not brought back
    refused: list[tuple[str, str]] = field(default_factory=list)  # (url, reason) not written at all
    warnings: list[tuple[int, str]] = field(default_factory=list)  # lines of the file kept as they are
    kept: list[str] = field(default_factory=list)         # the person's version kept (no machine change)
    base_text: str = ""                                   # the machine's version: the next merge's base
    remerged: int = 0                                     # merges redone: the file changed while merging
    written: bool = False                                 # the file was replaced

    def report_lines(self, path: str | Path) -> list[str]:
        """What the merge did, for a person: merged, kept of theirs, each conflict (plain text)."""
        lines = [f"merged into {path}: {len(self.added)} added, {len(self.updated)} updated, "
                 f"{len(self.kept) + len(self.conflicts)} kept as the person left them, "
                 f"{len(self.kept_deleted)} left out (deleted in the file), {len(self.conflicts)} conflicts"
                 + ("" if self.written else " (file unchanged)")]
        if self.remerged:
            lines.append(f"the file changed while it was being merged: merged again on the new file "
                         f"({self.remerged}x)")
        lines += [f"added: {url}" for url in self.added]
        lines += [f"updated: {url}" for url in self.updated]
        lines += [f"kept the person's edit of {url}" for url in self.kept]
        lines += [f"left out (deleted in the file): {url}" for url in self.kept_deleted]
        lines += [f"conflict {path}:{c.line or '?'}: {c.url}: {c.message}" for c in self.conflicts]
        lines += [f"refused {url}: {reason}" for url, reason in self.refused]
        return lines


def _is_track_boundary(node) -> bool:
    return (isinstance(node, Heading) and node.area is None) or \
        (isinstance(node, RawLine) and node.text.startswith("## "))


def _previous_line(doc: Digest, pos: int) -> str | None:
    if pos == 0:
        return doc.header.lines[-1] if doc.header.lines else None
    node = doc.nodes[pos - 1]
    if isinstance(node, DigestEntry):
        return node.lines()[-1]
    return node.line() if isinstance(node, Heading) else node.text


def _insert_block(doc: Digest, pos: int, block: list) -> None:
    """Insert headings + entry at ``pos`` with the house's blank lines around them."""
    before = _previous_line(doc, pos)
    at_end = pos >= len(doc.nodes)
    prev_node = doc.nodes[pos - 1] if pos > 0 else None
    starts_track = isinstance(block[0], Heading) and block[0].area is None
    need_blank_before = before is not None and before.strip() != "" and not (
        not starts_track and isinstance(prev_node, Heading) and prev_node.area is None)
    if need_blank_before:
        block = [RawLine("")] + block
    if not at_end:
        block = block + [RawLine("")]
    doc.nodes[pos:pos] = block


def place_entry(doc: Digest, entry: DigestEntry) -> None:
    """Insert ``entry`` where the ordering rules put it, creating its headings when missing."""
    nodes = doc.nodes
    t_rank, a_rank = TRACKS.index(entry.track), AREAS.index(entry.area)
    th = next((i for i, n in enumerate(nodes) if isinstance(n, Heading) and n.area is None
               and n.track == entry.track), None)
    if th is None:
        pos = next((i for i, n in enumerate(nodes) if isinstance(n, Heading) and n.area is None
                    and TRACKS.index(n.track) > t_rank), len(nodes))
        _insert_block(doc, pos, [Heading(entry.track), Heading(entry.track, entry.area), entry])
        return
    end = next((i for i in range(th + 1, len(nodes)) if _is_track_boundary(nodes[i])), len(nodes))
    ah = next((i for i in range(th + 1, end) if isinstance(nodes[i], Heading) and nodes[i].area == entry.area),
              None)
    if ah is None:
        pos = next((i for i in range(th + 1, end) if isinstance(nodes[i], Heading)
                    and AREAS.index(nodes[i].area) > a_rank), end)
        _insert_block(doc, pos, [Heading(entry.track, entry.area), entry])
        return
    aend = next((i for i in range(ah + 1, end) if isinstance(nodes[i], Heading)), end)
    in_area = [i for i in range(ah + 1, aend) if isinstance(nodes[i], DigestEntry)]
    older = [i for i in in_area if nodes[i].month < entry.month]
    if older:
        pos = older[0]
    elif in_area:
        # after the last entry and any note lines a person wrote right under it
        pos = in_area[-1] + 1
        while pos < aend and isinstance(nodes[pos], RawLine) and not nodes[pos].blank:
            pos += 1
    else:
        pos = ah + 1
    nodes.insert(pos, entry)


def drop_entry(doc: Digest, url: str) -> None:
    """Remove an entry; an area (or track) left empty loses its heading and its blank line too."""
    nodes = doc.nodes
    idx = next(i for i, n in enumerate(nodes) if isinstance(n, DigestEntry) and n.url == url)
    del nodes[idx]
    for level in ("area", "track"):
        heads = [i for i, n in enumerate(nodes) if isinstance(n, Heading) and
                 ((n.area is not None) if level == "area" else (n.area is None))]
        for h in reversed(heads):
            end = next((i for i in range(h + 1, len(nodes)) if isinstance(nodes[i], Heading) and
                        (level == "area" or nodes[i].area is None)), len(nodes))
            if any(not (isinstance(n, RawLine) and n.blank) for n in nodes[h + 1:end]):
                continue
            was_last = end == len(nodes)
            del nodes[h:end]
            if was_last and h > 0 and isinstance(nodes[h - 1], RawLine) and nodes[h - 1].blank:
                del nodes[h - 1]   # it was the last section: the blank line before it separated nothing


def _rendered(entry: DigestEntry) -> DigestEntry:
    return entry if entry.fmt is not None else machine_entry(entry)


def _version(entry: DigestEntry) -> tuple:
    """What counts as a change of an entry: its place and its text."""
    return entry.track, entry.area, entry.lines()


def merge_into(existing_text: str, new_entries: list[DigestEntry], base_text: str | None = None, *,
               header: list[str] | None = None) -> MergeResult:
    """Merge the machine's entries into the digest text a person keeps (see the module docstring)."""
    result = MergeResult(text="")
    machine: list[DigestEntry] = []
    for e in new_entries:
        try:
            machine.append(_rendered(e))
        except (UnsafeText, ValueError) as exc:
            result.refused.append((e.url, str(exc)))
    machine = house_order(machine)
    base = parse_digest(base_text, strict=False) if base_text else None
    base_by_url = {e.url: e for e in base.entries} if base else {}
    merged_base = dict(base_by_url)
    merged_base.update({e.url: e for e in machine})
    result.base_text = render_markdown(list(merged_base.values()), header=[])

    if not existing_text.strip():
        result.text = render_markdown(machine, header)
        result.added = [e.url for e in machine]
        return result

    doc = parse_digest(existing_text, strict=False)
    result.warnings = list(doc.problems) + list(doc.unknown_lines)
    in_file = {e.url: e for e in doc.entries}
    for new in machine:
        current = in_file.get(new.url)
        if current is None:
            if new.url in base_by_url:
                result.kept_deleted.append(new.url)
            else:
                place_entry(doc, new)
                result.added.append(new.url)
            continue
        mine, theirs = _version(new), _version(current)
        if mine == theirs:
            continue
        old = base_by_url.get(new.url)
        person_changed = old is None or theirs != _version(old)
        machine_changed = old is None or mine != _version(old)
        if person_changed:
            if machine_changed:
                result.conflicts.append(Conflict(new.url, current.lineno,
                                                 "changed in the file and by blogsift: the file's version is kept"))
            else:
                result.kept.append(new.url)
            continue
        # only the machine changed it since it was published: bring the file up to date
        if (current.track, current.area) == (new.track, new.area):
            doc.nodes[doc.nodes.index(current)] = new
        else:
            drop_entry(doc, new.url)
            place_entry(doc, new)
        result.updated.append(new.url)
    result.text = render_digest(doc)
    return result


def file_hash(path: Path) -> str:
    """The SHA-256 of the file's bytes; ``""`` when there is no file."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return ""


def atomic_write(path: Path, text: str, *, backup: bool = True, expect_hash: str | None = None) -> Path | None:
    """Write ``text`` to ``path`` so that a crash leaves the old file or the new one, never half of
    one (temp file in the same directory, fsync, ``os.replace``); the previous version is kept as
    ``PATH.bak``. Returns the backup path, if one was made.

    ``expect_hash`` (``file_hash`` of the file as it was read; ``""``: there was none): the file is
    replaced only if it still has that content, checked right before the rename; otherwise
    ``DigestChanged`` is raised and nothing is written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    bak = None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
            if backup:
                bak = path.with_name(path.name + ".bak")
                _copy_durably(path, bak)
        if expect_hash is not None and file_hash(path) != expect_hash:
            raise DigestChanged("the file changed since it was read", path=str(path))
        _replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _remove_stale_temps(path)
    return bak


def _remove_stale_temps(path: Path) -> None:
    """Temp files of this file left by a writer that was killed before its rename."""
    now = time.time()
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        try:
            if now - stale.stat().st_mtime > STALE_TEMP_S:
                stale.unlink()
        except OSError:
            continue


def _replace(tmp: str | Path, path: Path) -> None:
    """The atomic step of a write: the new file takes the old one's name."""
    os.replace(tmp, path)


def _copy_durably(src: Path, dst: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(src.read_bytes())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_digest_text(path: Path) -> str:
    """The file's text with its line endings as they are (no universal-newline translation)."""
    try:
        return Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DigestFormatError(f"not UTF-8 text (byte {exc.start})", path=str(path)) from exc


def with_base_id(text: str, base_id: str) -> str:
    """``text`` with its base id line set to ``base_id`` (replaced where it is, else the first line)."""
    newline = "\r\n" if "\r\n" in text else "\n"
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    lines = text[len(bom):].split(newline)
    line = BASE_ID_LINE.format(id=base_id)
    at = next((i for i, ln in enumerate(lines) if ln.startswith("## ")), len(lines))
    found = next((i for i in range(at) if base_id_of(lines[i])), None)
    if found is None:
        lines.insert(0, line)
    else:
        lines[found] = line
    return bom + newline.join(lines)


def _base_of(store, existing_text: str, path: Path) -> str | None:
    if store is None:
        return None
    base_id = parse_digest(existing_text, strict=False).base_id if existing_text else None
    if base_id is not None:
        base = store.get_document(PUBLISHED_DOC.format(key=base_id))
        if base is not None:
            return base
    return store.get_document(PUBLISHED_DOC.format(key=str(path.resolve())))


def publish_into(path: Path, entries: list[DigestEntry], store=None, *, settings=None,
                 header: list[str] | None = None, force: bool = False) -> MergeResult:
    """Merge ``entries`` into the digest at ``path`` (created when missing) and write it atomically.

    With a ``store``, the machine's version of what was published is kept as a document under its
    hash, written into the file as the base id: the base of the next publish into that file; without
    one, every difference in the file counts as a person's edit. The file is replaced only if it is
    unchanged since it was read; otherwise the merge is redone on the new file (``remerged``).
    ``force`` replaces the file with a fresh render instead of merging (for an output blogsift owns,
    such as the demo's); the previous file is still kept as ``PATH.bak``.
    """
    from . import header_from_settings  # late: the package imports this module

    path = Path(path)
    if header is None:
        header = header_from_settings(settings)
    remerged = 0
    for _attempt in range(REMERGE_ATTEMPTS):
        seen = file_hash(path)
        existing = read_digest_text(path) if seen and not force else ""
        result = merge_into(existing, entries, _base_of(store, existing, path), header=header)
        result.remerged = remerged
        if store is not None and force:
            # blogsift's own output, replaced whole: no id in it, the base kept by its path
            store.put_document(PUBLISHED_DOC.format(key=str(path.resolve())), result.base_text)
        elif store is not None:
            base_id = hashlib.sha256(result.base_text.encode("utf-8")).hexdigest()[:32]
            # the base first: a file naming a base the store does not have would merge blind
            store.put_document(PUBLISHED_DOC.format(key=base_id), result.base_text)
            result.text = with_base_id(result.text, base_id)
        if not (force or result.text != existing or not seen):
            return result
        try:
            atomic_write(path, result.text, expect_hash=None if force else seen)
        except DigestChanged:
            remerged += 1   # a person saved the file meanwhile: merge into what they saved
            continue
        result.written = True
        return result
    raise DigestChanged(f"the file changed {REMERGE_ATTEMPTS} times while it was being merged; "
                        "nothing was written: try again when it is not being edited", path=str(path))
