"""Summary benchmark on real posts: are the bullets whole sentences worth keeping, and faithful?

    python bench/summaries.py [--json] [--corpus DIR] [--limit N] [--llm] [--seed FILE]

Runs the extractive summarizer over the real corpus (``../shared/corpus``: full-text posts of real AI/ML
blogs) and, in the same run, a trivial baseline: lead-3, the post's first three sentences. For each it
reports, over the bullets written from the post's sentences (link bullets left out):

- ``posts_with_bullets``  share of posts that got at least one such bullet
- ``numbers_faithful``    share of numbers in bullets that are numbers of the post (token-exact: "30" does
                          not match "300")
- ``fragments``           bullets that stop mid-sentence: their end is not a sentence end of the post, they
                          end on a function word, or a bracket/quote/backtick is left open
- ``code_lines``          bullets taken from a code block of the post, or shaped like code
- ``marker_bullets``      bullets that start with a list/heading/quote marker, end in a colon, or are a heading
- ``opening_bullets``     share of bullets that repeat the post's opening sentence
- ``median_bullet_chars`` median length of a bullet

These judges are written here, from the Markdown of the post, and share no code with the summarizer.

``--llm`` also summarizes, with the configured OpenAI-compatible endpoint (``BLOGSIFT_LLM_BASE_URL``,
``BLOGSIFT_LLM_MODEL`` or a ``blogsift.toml``), the posts that have the curator's bullets in
``../shared/data/seed_dev.jsonl`` (its text from the corpus when the corpus has the post, else its title),
with the curator's other entries as the examples to learn from (never the post's own), and reports term
recall (the curator's technical terms and numbers the summary also names) and the share of bullets in the
digest's language, next to the extractive summarizer on the same posts. Without an endpoint it says so
and runs the extractive part only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from statistics import mean, median

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from blogsift.enrich import enrich  # noqa: E402
from blogsift.models import Post  # noqa: E402
from blogsift.summarize import ExtractiveSummarizer, split_sentences  # noqa: E402

SHARED = ROOT.parent / "shared"
#: a number, token-exact: "1,000", "3.5", "2023"
_NUM = re.compile(r"\d+(?:[.,]\d+)*")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
#: words no English sentence ends on ("... like data files are." does end a sentence; "... or the" does not)
_FUNCTION_END = re.compile(r"\b(the|a|an|or|and|of|with|for|from|than|into|but|if|when|while|our|their|its)$", re.I)
_MARKER = re.compile(r"^\s*([*\-+•>|#]|\d+[.)])\s")
_CODE_SHAPE = re.compile(r"(^\s*(import |from \S+ import |def |class |pip |\$ |docker |kubectl |git |python |npm )"
                         r"|\w+\s*=\s*[\w.]+\(|[{};]\s*$|^\s*[}\])]|==|!=|=>|->|::)")
_LINK_BULLET = re.compile(r"^(공개 자료|Resources):|읽어보세요\.?$|too\.$|도 있음$|^Also in \[")


def load_corpus(corpus: Path, limit: int | None = None) -> list[dict]:
    rows = []
    for f in sorted(corpus.glob("*/posts.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append(json.loads(line))
    return rows[:limit] if limit else rows


def as_post(row: dict) -> Post:
    text = row.get("text") or ""
    links = list(dict.fromkeys(re.findall(r"\]\((https?://[^)\s]+)\)", text)))
    return Post(url=row["url"], title=row.get("title") or "", source_key="corpus", text=text,
                lang=row.get("lang") or "en", links=links)


# -- judges (from the post's Markdown; independent of the summarizer) ------------------------------

def _plain(s: str) -> str:
    """What a reader sees of Markdown: link texts (inline and reference links), no footnote marks,
    tags or emphasis."""
    s = _MD_LINK.sub(r"\1", s)
    s = re.sub(r"\[([^\]]+)\]\[[^\]]*\]", r"\1", s)
    s = re.sub(r"\s?\[\^[^\]\s]+\]|\s?\[\d+\]", "", s)
    s = re.sub(r"<[^>]+>", " ", s)
    s = re.sub(r"[*_`]+", "", s)
    return " ".join(s.split())


def _code_blocks(md: str) -> str:
    fenced = re.findall(r"^\s*(```|~~~).*?\n(.*?)^\s*\1", md, re.S | re.M)
    return _plain(" ".join(b for _, b in fenced))


def _opening(md: str) -> str:
    """The post's first prose sentence: first paragraph that is not a heading, a date line, an image,
    a byline or a list."""
    for para in re.split(r"\n\s*\n", md):
        p = para.strip()
        if not p or p.startswith(("#", "!", "|", "```", "<", ">")) or _MARKER.match(p):
            continue
        plain = _plain(p)
        if len(plain) < 40 or re.match(r"^(published|posted|by|written by|updated)\b", plain, re.I):
            continue
        sents = split_sentences(plain, "en")
        return sents[0] if sents else plain
    return ""


def _words(s: str) -> list[str]:
    """Latin words of 3+ letters, Hangul words, and CJK character pairs (Chinese and Japanese have no spaces)."""
    low = s.lower()
    cjk = re.sub(r"[^\u3040-\u30ff\u4e00-\u9fff]", "", low)
    return [w for w in re.findall(r"[a-z0-9가-힣]+", low) if len(w) > 2] + [cjk[i:i + 2] for i in range(len(cjk) - 1)]


def judge(bullet: str, md: str, plain_text: str, code_text: str, opening: str, headings: set[str]) -> dict:
    b = _plain(bullet)
    core = b.rstrip(" .!?。！？")
    out = {"fragment": False, "code": False, "marker": False, "opening": False}
    # whole sentence: its end is a sentence end of the post
    tail = core[-30:]
    found = [m.end() for m in re.finditer(re.escape(tail), plain_text)] if tail else []
    ends = any(re.match(r"[\"'”’)\]]*\s*([.!?。！？…]|$|\n)", plain_text[i:i + 4]) for i in found)
    korean_end = bool(re.search(r"[다요음함임됨]\.?$", core))
    ends = ends or bool(re.search(r"[.!?。！？][\"'”’)]+$", core)) and bool(found)
    if not (ends or korean_end) or _FUNCTION_END.search(core) or \
            core.count("(") != core.count(")") or core.count("[") != core.count("]") or \
            core.count("`") % 2 or core.count('"') % 2 or re.match(r"^[a-z,;)]", core):
        out["fragment"] = True
    out["code"] = bool(_CODE_SHAPE.search(bullet)) or (len(core) > 20 and core[:40] in code_text)
    out["marker"] = bool(_MARKER.match(bullet)) or core.endswith(":") or core.lower() in headings
    words = _words(core)
    op = set(_words(opening))
    out["opening"] = bool(words) and bool(op) and sum(w in op for w in words) / len(words) >= 0.7
    return out


def figures(results: list[tuple[list[str], dict]]) -> dict:
    n_posts = len(results)
    with_bullets = 0
    nums = nums_ok = 0
    counts = {"fragment": 0, "code": 0, "marker": 0, "opening": 0}
    lengths: list[int] = []
    examples: dict[str, list[str]] = {k: [] for k in counts}
    for bullets, row in results:
        md = row.get("text") or ""
        plain_text = _plain(md)
        code_text = _code_blocks(md)
        opening = _opening(md)
        headings = {_plain(h).lower() for h in re.findall(r"^#+\s*(.+?)\s*#*$", md, re.M)}
        post_numbers = set(_NUM.findall(md))
        content = [b for b in bullets if not _LINK_BULLET.search(b)]
        with_bullets += bool(content)
        for b in content:
            lengths.append(len(b))
            for n in _NUM.findall(re.sub(r"\]\([^)]*\)", "]", b)):
                nums += 1
                nums_ok += n in post_numbers
            for k, v in judge(b, md, plain_text, code_text, opening, headings).items():
                if v:
                    counts[k] += 1
                    if len(examples[k]) < 3:
                        examples[k].append(b[:120])
    n_bullets = len(lengths)
    return {"posts": n_posts, "bullets": n_bullets,
            "posts_with_bullets": round(with_bullets / max(1, n_posts), 4),
            "numbers_faithful": round(nums_ok / nums, 4) if nums else 1.0,
            "fragments": counts["fragment"], "code_lines": counts["code"], "marker_bullets": counts["marker"],
            "opening_bullets": round(counts["opening"] / max(1, n_bullets), 4),
            "median_bullet_chars": median(lengths) if lengths else 0,
            "bullets_with_number": round(sum(bool(_NUM.search(b)) for b, _ in
                                             ((b, 0) for r, _ in results for b in r if not _LINK_BULLET.search(b)))
                                         / max(1, n_bullets), 4),
            "examples": examples}


def lead_n(post: Post, n: int = 3) -> list[str]:
    """The trivial baseline: the first ``n`` sentences of the post's text, as they stand."""
    return [s for s in split_sentences(post.text, post.lang) if s.strip()][:n]


# -- LLM part ---------------------------------------------------------------------------------------

_TERM = re.compile(r"\d+(?:[.,]\d+)*%?|[A-Za-z][A-Za-z0-9.+#-]*[A-Za-z0-9+#]|[A-Za-z]")


def curator_terms(bullets: list[str]) -> set[str]:
    """The technical terms and numbers of the curator's bullets: Latin-script words (names of models,
    tools, methods; 3+ letters or with a capital/digit) and numbers."""
    text = _MD_LINK.sub(r"\1", " ".join(bullets))
    out = set()
    for t in _TERM.findall(text):
        if t[0].isdigit() or len(t) >= 3 or re.search(r"[A-Z0-9]", t[1:] or t):
            out.add(t.lower())
    return out


def term_recall(summary: list[str], terms: set[str]) -> float | None:
    if not terms:
        return None
    text = _MD_LINK.sub(r"\1", " ".join(summary)).lower()
    return sum(1 for t in terms if re.search(r"(?<![a-z0-9])" + re.escape(t) + r"(?![a-z0-9])", text)) / len(terms)


def in_language(bullet: str, lang: str) -> bool:
    letters = [c for c in bullet if c.isalpha()]
    hangul = sum("\uac00" <= c <= "\ud7a3" for c in letters)
    share = hangul / len(letters) if letters else 0
    # Korean notes are full of Latin names (ONNX Runtime으로 CPU 서빙): Korean grammar around them is enough
    korean = hangul >= 2 and share >= 0.15
    return korean if lang == "ko" else not korean


def llm_part(seed_path: Path, corpus_rows: list[dict], lang: str) -> dict:
    from blogsift.config import load_settings
    from blogsift.errors import BlogsiftError
    from blogsift.summarize import LLMSummarizer
    from blogsift.summarize.fewshot import Example

    settings = load_settings()
    if not (settings.summary.llm_base_url and settings.summary.llm_model):
        return {"skipped": "no LLM endpoint configured (set BLOGSIFT_LLM_BASE_URL and BLOGSIFT_LLM_MODEL, "
                           "or summary.llm_base_url / llm_model): extractive part only"}
    seed = [json.loads(x) for x in seed_path.read_text(encoding="utf-8").splitlines() if x.strip()]
    texts = {r["url"]: r.get("text") or "" for r in corpus_rows}
    labelled = [r for r in seed if r.get("summary_bullets")]
    settings.summary.llm = True
    # the curator's entries are the examples; a post's own entry is never one of its examples
    examples = [Example(title=o["title"], area=o["area"], track=o["track"], bullets=o["summary_bullets"], url=o["url"])
                for o in labelled]
    try:
        summarizer = LLMSummarizer(settings, examples=examples)
    except BlogsiftError as exc:
        return {"skipped": str(exc)}
    extractive = ExtractiveSummarizer(settings.summary.max_bullets)
    rows = []
    for r in labelled:
        post = Post(url=r["url"], title=r["title"], source_key="seed", text=texts.get(r["url"], ""),
                    lang="ko" if re.search(r"[가-힣]", r["title"]) else "en")
        before = len(summarizer.usage.fallbacks)
        summary = summarizer.summarize(post, None, lang=lang, area=r["area"], track=r["track"])
        ext = extractive.summarize(post, None, lang=lang).bullets if post.text else []
        terms = curator_terms(r["summary_bullets"])
        rows.append({"id": r["id"], "with_text": bool(post.text), "author": summary.author,
                     "recall": term_recall(summary.bullets, terms), "recall_extractive": term_recall(ext, terms),
                     "bullets": len(summary.bullets),
                     "in_lang": sum(in_language(b, lang) for b in summary.bullets),
                     "fallbacks": summarizer.usage.fallbacks[before:]})
    scored = [x for x in rows if x["recall"] is not None]
    n_b = sum(x["bullets"] for x in rows)
    return {"endpoint": settings.summary.llm_base_url, "model": settings.summary.llm_model,
            "posts": len(rows), "posts_with_text": sum(x["with_text"] for x in rows),
            "term_recall": round(mean(x["recall"] for x in scored), 4) if scored else None,
            "term_recall_extractive": round(mean(x["recall_extractive"] or 0 for x in scored), 4) if scored else None,
            "bullets_in_digest_language": round(sum(x["in_lang"] for x in rows) / n_b, 4) if n_b else None,
            "fell_back": sum(x["author"] == "extractive" for x in rows), "tokens": summarizer.usage.total_tokens,
            "per_post": rows}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    ap.add_argument("--corpus", type=Path, default=SHARED / "corpus")
    ap.add_argument("--seed", type=Path, default=SHARED / "data" / "seed_dev.jsonl")
    ap.add_argument("--limit", type=int, default=None, help="first N posts only")
    ap.add_argument("--lang", default="ko", help="the digest's language")
    ap.add_argument("--llm", action="store_true", help="also measure the LLM path against the curator's bullets")
    ap.add_argument("--examples", action="store_true", help="show a few offending bullets")
    args = ap.parse_args()
    if not args.corpus.is_dir():
        print(f"corpus not found: {args.corpus} (the bench reads ../shared/corpus)", file=sys.stderr)
        return 2
    rows = load_corpus(args.corpus, args.limit)
    posts = [as_post(r) for r in rows]
    summarizer = ExtractiveSummarizer(4)
    t = time.perf_counter()
    extractive = [(summarizer.summarize(p, enrich(p), lang=args.lang).bullets, r) for p, r in zip(posts, rows)]
    elapsed = time.perf_counter() - t
    t = time.perf_counter()
    lead = [(lead_n(p), r) for p, r in zip(posts, rows)]
    lead_elapsed = time.perf_counter() - t
    ext, base = figures(extractive), figures(lead)
    result = {k: ext[k] for k in ("posts_with_bullets", "numbers_faithful", "fragments", "code_lines",
                                  "marker_bullets", "opening_bullets", "median_bullet_chars")}
    result.update({"posts": len(posts), "extractive": ext, "lead3": base,
                   "extractive_posts_per_s": round(len(posts) / elapsed, 1),
                   "time_ratio_to_lead3": round(elapsed / max(lead_elapsed, 1e-9), 1)})
    if args.llm:
        result["llm"] = llm_part(args.seed, rows, args.lang)
    if not args.examples:
        for k in ("extractive", "lead3"):
            result[k].pop("examples")
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    keys = ("bullets", "posts_with_bullets", "numbers_faithful", "fragments", "code_lines", "marker_bullets",
            "opening_bullets", "median_bullet_chars", "bullets_with_number")
    print(f"{len(posts)} real posts from {args.corpus}")
    print(f"{'':22}{'extractive':>12}{'lead-3':>10}")
    for k in keys:
        print(f"{k:22}{ext[k]!s:>12}{base[k]!s:>10}")
    print(f"extractive: {result['extractive_posts_per_s']} posts/s")
    if args.examples:
        print(json.dumps(ext["examples"], ensure_ascii=False, indent=1))
    if args.llm:
        llm = result["llm"]
        if "skipped" in llm:
            print(f"LLM: {llm['skipped']}")
        else:
            print(f"LLM {llm['model']} at {llm['endpoint']}: {llm['posts']} posts with curator bullets "
                  f"({llm['posts_with_text']} with text), term recall {llm['term_recall']} "
                  f"(extractive {llm['term_recall_extractive']}), bullets in the digest's language "
                  f"{llm['bullets_in_digest_language']}, fell back {llm['fell_back']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
