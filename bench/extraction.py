"""Extraction quality on real pages: blogsift's ``extract_post`` against bare ``trafilatura.extract``.

    python bench/extraction.py [--pages ../shared/bench/real-pages] [--limit N] [--json]

The pages are the 923 real HTML pages beside the repository (``../shared/bench/real-pages``, not
part of it); ``evaldata.json`` gives, for 884 of them, snippets a correct extraction contains
(``with``) and boilerplate it must not (``without``). A ``with`` snippet found is a true positive,
one missed a false negative; a ``without`` snippet found is a false positive. Both extractors run on
the same pages in the same process, one after the other, on one core: the figures are comparable,
the baseline is trafilatura's defaults. blogsift's side gets what a feed gives it at worst: a title
and a date, no content to fall back to.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import REAL_PAGES  # noqa: E402

from blogsift.config import FetchSettings  # noqa: E402
from blogsift.extract import extract_post  # noqa: E402
from blogsift.models import FeedItem, Source  # noqa: E402


@dataclass
class Counts:
    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0
    seconds: float = 0.0
    pages: int = 0

    def add(self, text: str | None, case: dict) -> None:
        flat = " ".join((text or "").split())
        for snippet in case["with"]:
            if " ".join(snippet.split()) in flat:
                self.tp += 1
            else:
                self.fn += 1
        for snippet in case["without"]:
            if " ".join(snippet.split()) in flat:
                self.fp += 1
            else:
                self.tn += 1

    def figures(self) -> dict:
        precision = self.tp / max(1, self.tp + self.fp)
        recall = self.tp / max(1, self.tp + self.fn)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"f1": round(f1, 4), "precision": round(precision, 4), "recall": round(recall, 4),
                "pages_per_s": round(self.pages / self.seconds, 1) if self.seconds else 0.0}


def load_cases(folder: Path, limit: int | None = None) -> list[tuple[str, dict, bytes]]:
    """(url, gold snippets, page bytes) for every gold case whose page is present."""
    gold = json.loads((folder / "evaldata.json").read_text(encoding="utf-8"))
    cases = []
    for url, case in gold.items():
        path = folder / "pages" / case["file"]
        if path.exists():
            cases.append((url, case, path.read_bytes()))
    return cases[:limit] if limit else cases


def run(folder: Path, limit: int | None = None) -> dict:
    import trafilatura

    cases = load_cases(folder, limit)
    source = Source(key="bench", name="bench", feed_url="http://127.0.0.1/feed.xml")
    dated = datetime(2026, 10, 1, tzinfo=UTC)
    min_chars = FetchSettings().min_article_chars
    bare, ours = Counts(pages=len(cases)), Counts(pages=len(cases))
    fallbacks: dict[str, int] = {}
    t = time.perf_counter()
    for url, case, page in cases:
        bare.add(trafilatura.extract(page, url=url), case)
    bare.seconds = time.perf_counter() - t
    t = time.perf_counter()
    for url, case, page in cases:
        post = extract_post(page, url, FeedItem(url=url, title="A post", published=dated), source, min_chars)
        ours.add(post.text, case)
        if post.extraction_note:
            why = post.extraction_note.split(" (")[0]
            fallbacks[why] = fallbacks.get(why, 0) + 1
    ours.seconds = time.perf_counter() - t
    b, o = bare.figures(), ours.figures()
    return {"pages": len(cases), "extraction_f1": o["f1"], "trafilatura_f1": b["f1"],
            "extraction_precision": o["precision"], "extraction_recall": o["recall"],
            "trafilatura_precision": b["precision"], "trafilatura_recall": b["recall"],
            "extraction_pages_per_s": o["pages_per_s"], "trafilatura_pages_per_s": b["pages_per_s"],
            "notes": fallbacks}


def main() -> int:
    ap = argparse.ArgumentParser(description="extraction F1 on real pages against bare trafilatura")
    ap.add_argument("--pages", type=Path, default=REAL_PAGES, help="folder with evaldata.json and pages/")
    ap.add_argument("--limit", type=int, default=None, help="first N gold pages only (a smoke run)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not (args.pages / "evaldata.json").exists():
        print(f"no real pages at {args.pages} (see bench/README in ../shared)", file=sys.stderr)
        return 2
    r = run(args.pages, args.limit)
    if args.json:
        print(json.dumps(r, ensure_ascii=False))
    else:
        for k, v in r.items():
            print(f"{k:28} {v}")
    return 0 if r["extraction_f1"] >= r["trafilatura_f1"] else 1


if __name__ == "__main__":
    sys.exit(main())
