"""Summary benchmark: length and faithfulness of the extractive summarizer on the demo posts, next to a
lead-3 baseline (the first three sentences) in the same run.

    python bench/summaries.py [--json]

Faithfulness: the share of a bullet's content tokens (link labels and targets left out) found in the
post, and the share of its numbers found in the post. Extractive summaries should score ~1.0 on both.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from statistics import mean

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from blogsift.demo import demo_posts  # noqa: E402
from blogsift.enrich import enrich  # noqa: E402
from blogsift.models import Post  # noqa: E402
from blogsift.summarize import ExtractiveSummarizer, split_sentences  # noqa: E402

_TOKEN = re.compile(r"[\w.%@-]+")
_LINK = re.compile(r"\[[^\]]*\]\([^)]*\)")


def figures(summaries: list[tuple[list[str], str]]) -> dict:
    token_share, number_share, n_bullets, chars, compression = [], [], [], [], []
    for bullets, text in summaries:
        low = text.lower()
        body = [_LINK.sub("", b) for b in bullets]
        tokens = [t for b in body for t in _TOKEN.findall(b.lower()) if len(t) > 1]
        numbers = [n for b in body for n in re.findall(r"\d+(?:\.\d+)?", b)]
        token_share.append(sum(t.strip(".") in low for t in tokens) / max(1, len(tokens)))
        number_share.append(sum(n in text for n in numbers) / len(numbers) if numbers else 1.0)
        n_bullets.append(len(bullets))
        chars.append(mean(len(b) for b in bullets) if bullets else 0)
        compression.append(sum(len(b) for b in bullets) / max(1, len(text)))
    return {"posts": len(summaries), "bullets_mean": round(mean(n_bullets), 2),
            "chars_per_bullet": round(mean(chars), 1), "compression": round(mean(compression), 3),
            "token_faithfulness": round(mean(token_share), 4), "number_faithfulness": round(mean(number_share), 4)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    posts = [Post(url=p.path, title=p.title, source_key=p.source, text=p.text, lang=p.lang,
                  links=[u for u in (p.facts.get("code"), p.facts.get("model"), p.facts.get("paper")) if u])
             for p in demo_posts() if p.in_scope]
    summarizer = ExtractiveSummarizer(4)
    t = time.perf_counter()
    extractive = [(summarizer.summarize(p, enrich(p), lang="ko").bullets, p.text) for p in posts]
    elapsed = time.perf_counter() - t
    lead3 = [(split_sentences(p.text, p.lang)[:3], p.text) for p in posts]
    result = {"extractive": figures(extractive), "lead3": figures(lead3),
              "extractive_posts_per_s": round(len(posts) / elapsed, 1)}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{'':12}{'posts':>6}{'bullets':>9}{'chars/b':>9}{'compr.':>8}{'tokens':>8}{'numbers':>9}")
        for name in ("extractive", "lead3"):
            f = result[name]
            print(f"{name:12}{f['posts']:>6}{f['bullets_mean']:>9}{f['chars_per_bullet']:>9}{f['compression']:>8}"
                  f"{f['token_faithfulness']:>8}{f['number_faithfulness']:>9}")
        print(f"extractive: {result['extractive_posts_per_s']} posts/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
