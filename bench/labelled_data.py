"""The real labelled posts behind the shipped classifier, read from ``../shared``.

    python bench/labelled_data.py            # print what would be written
    python bench/labelled_data.py --write    # rewrite src/blogsift/data/labelled_posts.jsonl

Only facts go into the package: title, URL, organisation and labels. The curator's summary
sentences and the corpus texts stay in ``../shared``.

- ``curator``: the curator-labelled digest entries (seed_dev.jsonl): track and area.
- ``applied-ml``: a public list of applied-ML posts (applied_ml.jsonl): business cases with an area;
  rows without an area are left out, a URL listed under several sections is kept once.
- ``off-topic``: real posts of real ML blogs that are out of scope, judged by their titles (below):
  community newsletters, events, milestones, surveys, governance and policy calls, and general
  software engineering that is not about ML.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DATA = SHARED / "data"
CORPUS = SHARED / "corpus"
PACKAGE_FILE = ROOT / "src" / "blogsift" / "data" / "labelled_posts.jsonl"

#: corpus posts that are out of scope, by blog, judged by title: newsletters and community roundups,
#: events and milestones, surveys, governance and policy, and software engineering unrelated to ML
OFF_TOPIC_TITLES = {
    "dvc": [r"Heartbeat$", r"Community Gems$", r"^Easy Stuctural Refactors to Python Source Code$"],
    "haystack": [r"^Announcing the Haystack Blog$", r"^Writing Professional Python Logs$"],
    "kubeflow": [r"^Kubeflow User Survey 20\d\d$", r"^Kubeflow has applied to become a CNCF incubating project$",
                 r"^Kubeflow Community Holds First Election"],
    "laion": [r"^Petition for keeping up the progress tempo", r"^A Call to Protect Open-Source AI in Europe$",
              r"^LAION Triumphs at the Falling Walls", r"^Towards a transparent AI Future: The Call for less"],
    "milvus": [r"^Milvus To Participate In Hacktoberfest 2021$", r"^It's a Wrap! Milvus Hacktoberfest 2021$",
               r"^Why to Choose FastAPI over Flask\?$", r"^Milvus in 2021 - Year in Review$",
               r"^A Small Step for Milvus - 10,000 Stars$", r"^A Stellar Milestone: Milvus Surpasses 20,000 Stars",
               r"^Accelerating Compilation 2.5X with Dependency Decoupling", r"^Implement Milvus CLI by Python Click$",
               r"^Raft or not\? The Best Solution to Data Consistency", r"^Open Source Software \(OSS\) Quality Assurance",
               r"^Dynamically Change Log Levels in the Milvus Vector Database$",
               r"^Optimizing Data Communication: Milvus Embraces NATS Messaging$"],
}


def curator_rows() -> list[dict]:
    rows = []
    for line in (DATA / "seed_dev.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        rows.append(dict(title=r["title"], url=r["url"], org=r["org"], in_scope=True, track=r["track"],
                         area=r["area"], origin="curator"))
    return rows


def applied_ml_rows(skip_urls: set[str] = frozenset()) -> list[dict]:
    rows, seen = [], set(skip_urls)
    for line in (DATA / "applied_ml.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        if r["area"] is None or r["url"] in seen:
            continue
        seen.add(r["url"])
        rows.append(dict(title=r["title"], url=r["url"], org=r["company"], in_scope=True, track="business",
                         area=r["area"], origin="applied-ml"))
    return rows


def corpus_posts() -> list[dict]:
    """Every full-text corpus post with its blog (folder) name; the text stays here."""
    out = []
    for folder in sorted(p for p in CORPUS.iterdir() if (p / "posts.jsonl").exists()):
        for line in (folder / "posts.jsonl").read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            out.append(dict(blog=folder.name, title=r["title"], url=r["url"], text=r.get("text") or "",
                            lang=r.get("lang") or "en", date=r.get("date")))
    return out


def is_off_topic(post: dict) -> bool:
    return any(re.search(p, post["title"]) for p in OFF_TOPIC_TITLES.get(post["blog"], []))


def off_topic_rows() -> list[dict]:
    return [dict(title=p["title"], url=p["url"], org=None, in_scope=False, track=None, area=None,
                 origin="off-topic", blog=p["blog"]) for p in corpus_posts() if is_off_topic(p)]


def all_rows() -> list[dict]:
    cur = curator_rows()
    return cur + applied_ml_rows({r["url"] for r in cur}) + off_topic_rows()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help=f"rewrite {PACKAGE_FILE.relative_to(ROOT)}")
    args = ap.parse_args()
    if not DATA.exists():
        print(f"needs {DATA} (the shared labelled data)", file=sys.stderr)
        return 2
    rows = all_rows()
    lines = [json.dumps({k: r[k] for k in ("title", "url", "org", "in_scope", "track", "area", "origin")},
                        ensure_ascii=False) for r in rows]
    if args.write:
        PACKAGE_FILE.write_text("\n".join(lines) + "\n", encoding="utf-8")
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["origin"]] = counts.get(r["origin"], 0) + 1
    print(f"{len(rows)} rows: " + ", ".join(f"{k} {v}" for k, v in counts.items())
          + (f"; written to {PACKAGE_FILE}" if args.write else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
