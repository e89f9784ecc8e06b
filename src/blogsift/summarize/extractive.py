"""The extractive summarizer: the post's own key sentences, made terse, with the links it relies on.

Sentences are split with kiwipiepy for Korean and a rule-based splitter for English; they are scored
by TF-IDF centrality (scikit-learn) plus bonuses for measured results and named tools, and the best
are kept in document order. It cannot translate: an English post keeps its English sentences, and
only the connective bullets (links, series) are written in the digest's language.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from ..models import Enrichment, Post, Summary

__all__ = ["ExtractiveSummarizer", "split_sentences"]

#: sentences shorter than this are headings or fragments; longer than that are run-ons
MIN_SENT_CHARS, MAX_SENT_CHARS = 25, 320
#: a bullet is a line of notes; a longer sentence is cut at a clause boundary
MAX_BULLET_CHARS = 180
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_NUMBER = re.compile(r"\d+(?:\.\d+)?\s?(?:%|ms|x|배|GB|TB|초|시간|개|만|억)?")
_NAME = re.compile(r"\b[A-Z][a-zA-Z0-9]*[A-Z0-9][a-zA-Z0-9]*\b|\b[A-Z][a-z]+[A-Z]\w*\b")
_FILLER = re.compile(r"^(in this (post|article|blog post),?\s*(we\s+)?|this (post|article) (describes|shows|explains)\s*|"
                     r"here,?\s*|we('re| are) (excited|happy) to (share|announce)( that)?\s*|이번 글에서는\s*|이 글에서는\s*)", re.I)
_POLITE = [(re.compile(r"했습니다\.?$"), "했음"), (re.compile(r"하였습니다\.?$"), "했음"), (re.compile(r"합니다\.?$"), "함"),
           (re.compile(r"됩니다\.?$"), "됨"), (re.compile(r"되었습니다\.?$"), "됐음"), (re.compile(r"입니다\.?$"), "임"),
           (re.compile(r"습니다\.?$"), "음"), (re.compile(r"있어요\.?$"), "있음"), (re.compile(r"해요\.?$"), "함")]
_EN_ABBR = re.compile(r"\b(e\.g|i\.e|etc|vs|Dr|Mr|Ms|Mrs|Fig|fig|Eq|eq|approx|No|Inc|Corp|al)\.$")


@lru_cache(maxsize=1)
def _kiwi():
    from kiwipiepy import Kiwi
    return Kiwi()


def split_sentences(text: str, lang: str) -> list[str]:
    text = re.sub(r"[ \t]+", " ", text)
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n|\n", text) if p.strip()]
    out: list[str] = []
    if lang == "ko" or _HANGUL.search(text[:2000]):
        for p in paragraphs:
            out.extend(s.text.strip() for s in _kiwi().split_into_sents(p))
        return out
    for p in paragraphs:
        # split after . ! ? followed by space + capital/digit, unless the word is an abbreviation or a decimal
        start = 0
        for m in re.finditer(r"[.!?](?=\s+[\"'(\[]?[A-Z0-9])", p):
            head = p[start:m.end()]
            if _EN_ABBR.search(head):
                continue
            out.append(head.strip())
            start = m.end()
        if p[start:].strip():
            out.append(p[start:].strip())
    return out


def _terse(sentence: str, lang: str) -> str:
    s = _FILLER.sub("", sentence.strip())
    s = s[:1].upper() + s[1:] if lang != "ko" and s else s
    for pattern, repl in _POLITE:
        if pattern.search(s):
            s = pattern.sub(repl, s)
            break
    s = s.rstrip(" .")
    if len(s) > MAX_BULLET_CHARS:
        cut = max(s.rfind(", ", 0, MAX_BULLET_CHARS), s.rfind("; ", 0, MAX_BULLET_CHARS))
        s = s[:cut] if cut > 60 else s[:MAX_BULLET_CHARS].rsplit(" ", 1)[0]
    return s


def _label(url: str) -> str:
    parts = [p for p in re.sub(r"^https?://", "", url).split("/") if p]
    if parts and parts[0].endswith("arxiv.org"):
        return f"arXiv {parts[-1]}"
    return parts[-1] if len(parts) > 1 else parts[0]


class ExtractiveSummarizer:
    name = "extractive"

    def __init__(self, max_bullets: int = 4):
        self.max_bullets = max(1, max_bullets)

    def summarize(self, post: Post, enrichment: Enrichment | None = None, lang: str = "ko") -> Summary:
        title = (post.title or "").strip().lower()
        sents = [s for s in split_sentences(post.text or "", post.lang)
                 if MIN_SENT_CHARS <= len(s) <= MAX_SENT_CHARS and not s.endswith(":")
                 and "![" not in s and not s.startswith(("#", "|", "```")) and s.strip().lower() != title]
        extra: list[str] = []
        if enrichment is not None:
            extra = self._link_bullets(enrichment, lang)
        room = max(1, self.max_bullets - len(extra))
        bullets = [_terse(s, post.lang) for s in self._best(sents, room)]
        bullets = [b for b in bullets if b] + extra
        return Summary(bullets=bullets[: max(self.max_bullets, len(extra))], author="extractive", lang=lang)

    def _best(self, sents: list[str], k: int) -> list[str]:
        if len(sents) <= k:
            return sents
        try:
            m = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True).fit_transform(sents)
        except ValueError:
            return sents[:k]
        centrality = np.asarray((m @ m.T).mean(axis=1)).ravel()
        scores = []
        for i, s in enumerate(sents):
            # measured results and named tools are what a reader of the digest wants
            bonus = 0.15 * min(3, len(_NUMBER.findall(s))) + 0.06 * min(3, len(_NAME.findall(s)))
            position = 0.03 * (1 - i / len(sents))
            scores.append(centrality[i] + bonus + position)
        chosen: list[int] = []
        for i in np.argsort(scores)[::-1]:
            # skip near-repeats of a chosen sentence
            if any(float((m[i] @ m[j].T).toarray()[0, 0]) > 0.6 for j in chosen):
                continue
            chosen.append(int(i))
            if len(chosen) == k:
                break
        return [sents[i] for i in sorted(chosen)]

    @staticmethod
    def _link_bullets(e: Enrichment, lang: str) -> list[str]:
        out = []
        links = [(u, "code") for u in e.code_links[:2]] + [(u, "model") for u in e.model_links[:2]] + \
                [(u, "paper") for u in e.paper_links[:1]]
        if links:
            names = ", ".join(f"[{_label(u)}]({u})" for u, _ in links)
            out.append(f"공개 자료: {names}" if lang == "ko" else f"Resources: {names}")
        if e.series and e.series.previous_urls:
            prev = e.series.previous_urls[-1]
            if lang == "ko":
                label = f"{e.series.part - 1}편" if e.series.part and e.series.part > 1 else "이전 글"
                out.append(f"[{label}]({prev})도 읽어보세요.")
            else:
                label = f"part {e.series.part - 1}" if e.series.part and e.series.part > 1 else "the previous post"
                out.append(f"Read [{label}]({prev}) too.")
        return out
