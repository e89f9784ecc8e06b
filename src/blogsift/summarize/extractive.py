"""The extractive summarizer: the post's own key sentences, as notes, with the links it relies on.

The text (plain, or Markdown as many blogs publish it) is first cut into prose blocks: code blocks,
tables, headings, images and HTML are left out, soft-wrapped lines are joined, list items keep their
text without the marker. Blocks are split into sentences with kiwipiepy for Korean (loaded on the first
Korean text, in its lean configuration) and pysbd for other languages. Only whole sentences are kept:
never a code line, a heading, a lead-in ending in a colon, a question, a call to action, or the post's
opening sentence. They are scored by centrality (TF-IDF, scikit-learn) plus what a curator keeps: a
result (a number with its unit), the method and tools (named systems, what was built or used) and the
public artefacts (code, models, papers); then made terse ("In this post, we …" and connectives dropped,
Korean polite endings turned into note endings). A post with no such sentence (all code, a table, a
list of links) gets no sentence bullets and ``Summary.note`` says why.

It cannot translate: an English post keeps its English sentences, and only the connective bullets
(links, series) are written in the digest's language.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from ..korean import HANGUL_MIN_RATIO, final_sound, hangul_ratio
from ..models import Enrichment, Post, Summary

__all__ = ["ExtractiveSummarizer", "split_sentences", "prose_blocks", "kiwi", "may_need_kiwi", "NO_SENTENCES"]

#: a sentence shorter than this is a caption, a label or a fragment (CJK sentences pack ~3x more per char)
MIN_SENT_CHARS, MIN_SENT_CHARS_CJK = 40, 15
#: a sentence longer than this is a run-on that no reader takes as a note
MAX_SENT_CHARS = 240
#: the length a note should have; longer sentences lose score in proportion
TARGET_CHARS = 110
#: the text looked at: a 200 KB post is summarized from its first part (its key content is early)
MAX_TEXT_CHARS = 60_000
#: sentences scored at most (position order); bounds the work on a long post
MAX_CANDIDATES = 600
#: two sentences this similar (cosine of char n-grams) say the same thing; the second is skipped
NEAR_REPEAT = 0.6
#: a soft-wrapped line is at least this long when the next line starts with a capital (shorter: a heading)
WRAP_MIN_CHARS = 60
NO_SENTENCES = "no summary: the post has no whole prose sentence to quote (code, a table, a list or links only)"

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
#: a sentence whose last word is Korean: its ending may be a polite one to turn into a note's
_HANGUL_END = re.compile(r"[\uac00-\ud7a3][\s.!?。\"'”’)\]]*$")
_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7a3]")
_FENCE = re.compile(r"^\s*(```|~~~)")
_LIST_ITEM = re.compile(r"^\s*(?:[*+\-•]|\d{1,3}[.)])\s+")
_HEADING = re.compile(r"^\s*#{1,6}\s")
_SETEXT = re.compile(r"^\s*(=+|-+)\s*$")
_TABLE = re.compile(r"^\s*\|")
_QUOTE = re.compile(r"^\s*>")
_HTML_BLOCK = re.compile(r"^\s*</?(?:div|table|tr|td|th|img|figure|iframe|video|script|style|details|summary|p|br|center|a)\b",
                         re.I)
_TAG = re.compile(r"<[^>\n]{1,300}>")
_IMAGE_MD = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK_MD = re.compile(r"\[([^\]]*)\]\((?:[^()\s]|\([^()\s]*\))*\)|\[([^\]]+)\]\[[^\]]*\]")
_BOLD = re.compile(r"(\*\*|__)(.+?)\1")
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])|(?<![\w_])_(?!\s)([^_\n]+?)(?<!\s)_(?![\w_])")
_FOOTNOTE = re.compile(r"\[\^[^\]\s]+\]|\[\d+\]|\^\d+")
#: a line of code: statements, calls with arguments, shell prompts, config keys
_CODE = re.compile(r"^\s*(?:import |from \S+ import |def |class |return |pip3? |\$ |>>> |docker |kubectl |git |"
                   r"python3? |npm |curl |sudo |export |cd |--?\w)|\w\s*=\s*[\w\"'\[({]|[{};]\s*$|^\s*[}\])]|==|!=|"
                   r"=>|->|::|\w+\.\w+\([^)]*\)|\w+\([^)]*=[^)]*\)|^\s*@\w+|`")
_TERMINAL = re.compile(r"[.!?。！？](?:[\"'”’)\]])*$")
_KO_TERMINAL = re.compile(r"(?:다|요|죠|음|함|임|됨|니다)[.!]?$")
_FUNCTION_END = re.compile(r"\b(the|a|an|or|and|of|to|with|for|in|on|by|from|as|that|than|into|at|but)\W*$", re.I)
#: sentences that are about the post, the reader or the blog, not about the work
_BOILERPLATE = re.compile(
    r"^(welcome|hi|hello|hey|thanks|thank you|congratulations|stay tuned|follow us|subscribe|sign up|register|"
    r"join (us|our|the)|feel free|don'?t hesitate|if you (have|want|are|would|'re)|check out|click|read more|learn more|"
    r"see (the|our|also|more|below|above)|please|let'?s|let us|happy |this (is|was) (a|the|our) (guest|first|second|"
    r"third|final|last|next|\w+-part)|(in )?(this|the) (blog ?post|post|article|tutorial|guide|series|video)"
    r" (is|was|will|we|i)\b|we('re| are) (excited|happy|thrilled|pleased|proud|delighted)|"
    r"(i|we)('m| am| are|'re) (going to|here to)|note:|disclaimer|tl;?dr|update:|edit:|p\.?s\.?|"
    r"for more (information|details)|to learn more|you can (find|read|see|check|follow|download|get|try)|"
    r"(at|by) the end of this (post|article|tutorial|guide)|in the (next|following|previous) (post|section|part)|"
    r"the (code|source code|notebook|slides|recording|video) (is|are|can be) (available|found))"
    r"|^(이|이번|본|오늘) ?(글|포스트|포스팅|시간)에서는|(소개|설명|정리|공유)(해 ?드리|하)?(겠)?습니다\.?$|"
    r"(살펴|알아)보(겠)?습니다\.?$|다룹니다\.?$|부탁드립니다\.?$|감사(합|드립)니다\.?$|기다립니다\.?$", re.I)
#: sentences that only make sense with what came before them
_DANGLING_START = re.compile(r"^(this|it|these|those|they|that|he|she|there|here|such|both|then|also|so|and|but|or)\b",
                             re.I)
#: "In this post, we describe how" and the like: what a note leaves out
_FILLER = re.compile(
    r"^(?:(?:in|with|through) (?:this|the following|today'?s) (?:blog ?post|post|article|tutorial|guide|write-?up),?\s*"
    r"|here,?\s+|today,?\s+|in short,?\s+|overall,?\s+|however,?\s+|additionally,?\s+|in addition,?\s+|moreover,?\s+|"
    r"furthermore,?\s+|finally,?\s+|first(?:ly)?,?\s+|second(?:ly)?,?\s+|also,?\s+|importantly,?\s+|"
    r"this (?:post|article) (?:describes|shows|explains|introduces|presents|covers)\s+|"
    r"이번 글에서는\s*|이 글에서는\s*|본 글에서는\s*|오늘은\s*|먼저\s*|또한\s*|그리고\s*|하지만\s*|"
    r"우리는\s+|저희는\s+|우리 팀은\s+|저희 팀은\s+)", re.I)
_WE_SAY = re.compile(r"^(?:we|i)(?:'ll| will| would like to| want to)?\s+(?:briefly\s+)?(?:describe|show|explain|"
                     r"introduce|present|discuss|share|walk (?:you )?through|look at|explore|cover|demonstrate|"
                     r"outline|detail|review)\s+(?:you\s+)?(?:how\s+(?=\w+\s+\w+))?", re.I)
#: "We trained ..." → "Trained ...": a note leaves out the subject when it is the authors
_WE_DID = re.compile(r"^(?:we|i|our team|the team)\s+(?:also\s+|then\s+|first\s+|finally\s+)?"
                     r"(?=(?:[a-z]+ed|built|made|ran|wrote|took|found|chose|saw|got|brought|began|kept|led|cut|"
                     r"set|put|won|grew|rebuilt|rewrote|shipped|open-sourced|fine-tuned)\b)", re.I)
_POLITE = [(re.compile(r"했습니다\.?$"), "했음"), (re.compile(r"하였습니다\.?$"), "했음"), (re.compile(r"합니다\.?$"), "함"),
           (re.compile(r"되었습니다\.?$"), "됐음"), (re.compile(r"됐습니다\.?$"), "됐음"), (re.compile(r"됩니다\.?$"), "됨"),
           (re.compile(r"입니다\.?$"), "임"), (re.compile(r"였습니다\.?$"), "였음"), (re.compile(r"었습니다\.?$"), "었음"),
           (re.compile(r"았습니다\.?$"), "았음"), (re.compile(r"습니다\.?$"), "음"), (re.compile(r"있어요\.?$"), "있음"),
           (re.compile(r"했어요\.?$"), "했음"), (re.compile(r"해요\.?$"), "함"), (re.compile(r"이에요\.?$|예요\.?$"), "임"),
           (re.compile(r"했다\.?$"), "했음"), (re.compile(r"한다\.?$"), "함"), (re.compile(r"이다\.?$"), "임"),
           (re.compile(r"되었다\.?$"), "됐음"), (re.compile(r"된다\.?$"), "됨"), (re.compile(r"있다\.?$"), "있음"),
           (re.compile(r"없다\.?$"), "없음")]
#: a measured result: a number with its unit or a comparison
_RESULT = re.compile(
    r"\d+(?:[.,]\d+)*\s?(?:%|x\b|×|times|ms\b|s\b|sec|seconds?|minutes?|hours?|days?|gb\b|mb\b|tb\b|k\b|m\b|b\b|"
    r"million|billion|trillion|gpus?|nodes?|cores?|parameters|params|tokens|qps|rps|fps|points?|pp\b|배|초|시간|개|만|억|"
    r"건|명|원|달러|퍼센트)|(?:from|to|by|of) \$?\d+(?:[.,]\d+)*|\$\d", re.I)
_COMPARE = re.compile(r"\b(improv\w*|reduc\w*|increas\w*|decreas\w*|faster|slower|speed-?ups?|outperform\w*|achiev\w*|"
                      r"accuracy|latency|throughput|cost|saving\w*|higher|lower|fewer|better|cut|boost\w*|"
                      r"state[- ]of[- ]the[- ]art|sota|recall|precision|f1|bleu|rouge|auc|ndcg|mAP)\b|향상|감소|단축|절감|"
                      r"개선|증가|줄|높|낮", re.I)
_METHOD = re.compile(r"\b(we|our team|the team)\s+(built|build|use[ds]?|trained|train|deployed|deploy|implemented|designed|"
                     r"developed|introduced|released|open-sourced|migrated|combined|fine-tuned|adopted|created|"
                     r"replaced|added|moved|scaled|wrote|leverag\w+|propos\w+|present\w*)\b|\b(is built on|based on|powered by|"
                     r"consists of|architecture|pipeline|framework|algorithm|index|engine)\b|구축|도입|적용|개발|"
                     r"학습|구성|사용|설계|활용", re.I)
_ARTEFACT = re.compile(r"\b(open[- ]sourc\w+|github|hugging ?face|checkpoints?|weights|dataset|library|paper|"
                       r"released?|available|apache[- ]2|mit licen[cs]e|pip install)\b|공개|오픈소스", re.I)
_NAME = re.compile(r"\b[A-Z][a-zA-Z0-9]*[A-Z0-9][a-zA-Z0-9-]*\b|\b[A-Z][a-z]+[A-Z]\w*\b")
#: a sentence that introduces what follows (a code block, a figure, a list): nothing on its own
_LEAD_IN = re.compile(r"\b(this|these|below|the following|as follows|here|like so)\W*$|\blet[’']?s\b|\blet us\b|"
                      r"^(fig(ure)?|table|chart|image|diagram|图|表|圖|図)\.?\s*\d+\s*[:.：]", re.I)
#: a sentence that starts with a label and a colon: an item of a list of options or a "fun fact"
_LABEL = re.compile(r"^[A-Z][\w' -]{0,24}:\s")
_YOU = re.compile(r"\b(you|your|you'll|you're)\b", re.I)
_EN_ABBR = re.compile(r"\b(e\.g|i\.e|etc|vs|Dr|Mr|Ms|Mrs|Fig|fig|Eq|eq|approx|No|Inc|Corp|al)\.$")
_KO_AFTER_LATIN = re.compile(r"(?<=[A-Za-z0-9%)][.!?])\s+(?=[\uac00-\ud7a3])")
_PYSBD_LANGS = {"en", "hi", "mr", "zh", "es", "am", "ar", "hy", "bg", "ur", "ru", "pl", "fa", "nl", "da", "fr", "my",
                "el", "it", "ja", "de", "kk", "sk"}


def may_need_kiwi(text: str) -> bool:
    """Whether summarizing ``text`` may load the Korean analyser (it has Hangul at all)."""
    return bool(_HANGUL.search(text or ""))


@lru_cache(maxsize=1)
def kiwi():
    """The Korean analyser, created on first use: without the typo and multi-word dictionaries it needs
    ~330 MB instead of ~520 MB, and sentence splitting does not use them."""
    from kiwipiepy import Kiwi
    return Kiwi(load_typo_dict=False, load_multi_dict=False)


@lru_cache(maxsize=8)
def _segmenter(lang: str):
    import pysbd
    return pysbd.Segmenter(language=lang if lang in _PYSBD_LANGS else "en", clean=False)


def _inline(text: str) -> str:
    """A Markdown/HTML line as the plain sentence a reader sees."""
    text = _IMAGE_MD.sub("", text)
    text = _LINK_MD.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), text)
    text = _TAG.sub(" ", text)
    text = html.unescape(text)
    text = _BOLD.sub(r"\2", text)
    text = _ITALIC.sub(lambda m: m.group(1) or m.group(2), text)
    text = _FOOTNOTE.sub("", text)
    return " ".join(text.split())


def prose_blocks(text: str) -> list[tuple[str, str]]:
    """(kind, plain text) of the post's prose: kind is ``"para"`` or ``"item"`` (a list item without
    its marker). Code blocks, tables, headings, quotes and HTML blocks are left out; soft-wrapped lines
    are joined (a line that does not end a sentence, followed by one that continues it)."""
    blocks: list[tuple[str, str]] = []
    kind, buf = "", []
    in_fence = False

    def flush() -> None:
        nonlocal kind, buf
        if buf:
            plain = _inline(" ".join(buf))
            if plain:
                blocks.append((kind, plain))
        kind, buf = "", []

    lines = text.replace("\r\n", "\n").split("\n")
    # Markdown separates paragraphs by blank lines, so a single newline is a soft wrap; text without any
    # blank line (an extractor's output) has one block per line, and a line never continues the one before
    markdown = bool(re.search(r"\n[ \t]*\n", text))
    for i, raw in enumerate(lines):
        line = raw.rstrip()
        if _FENCE.match(line):
            flush()
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if not line.strip():
            flush()
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if _HEADING.match(line) or _TABLE.match(line) or _QUOTE.match(line) or _HTML_BLOCK.match(line) \
                or _SETEXT.match(line) or (nxt.strip() and _SETEXT.match(nxt) and "=" in nxt):
            flush()
            continue
        if raw.startswith(("    ", "\t")) and not buf and _CODE.search(line):
            flush()        # an indented code line
            continue
        item = _LIST_ITEM.match(line)
        if item:
            flush()
            kind, buf = "item", [line[item.end():]]
            continue
        if buf and markdown and _continues(buf[-1], line.strip()):
            buf.append(line.strip())
            continue
        flush()
        kind, buf = "para", [line.strip()]
    flush()
    return blocks


def _continues(prev: str, line: str) -> bool:
    """Is ``line`` the rest of the sentence that ``prev`` (a line of the same block) started?"""
    prev_plain = prev.rstrip()
    if _TERMINAL.search(prev_plain) or prev_plain.endswith(":"):
        return False
    first = line[:1]
    return (first.islower() or first in "[(`'\"*_" or first.isdigit()
            or bool(_FUNCTION_END.search(prev_plain)) or prev_plain.endswith(",")
            or len(prev_plain) >= WRAP_MIN_CHARS or bool(_CJK.search(first)))


def _split_block(block: str, lang: str) -> list[str]:
    # Korean prose, not a stray Hangul word in English text (a language menu, a name): Kiwi costs
    # ~330 MB the first time it is needed
    if hangul_ratio(block)[0] >= HANGUL_MIN_RATIO:
        out = []
        for sent in kiwi().split_into_sents(block):
            # Kiwi keeps "25 ms. 이 수치는 ..." together (a Latin word before the period looks like an
            # abbreviation to it): a period after a Latin word or a number, then Hangul, ends a sentence
            out += [x.strip() for x in _KO_AFTER_LATIN.split(sent.text) if x.strip()]
        return out
    out: list[str] = []
    for s in _segmenter(lang).segment(block):
        s = s.strip()
        if not s:
            continue
        if out and _EN_ABBR.search(out[-1]):   # "e.g." ends no sentence
            out[-1] = f"{out[-1]} {s}"
        else:
            out.append(s)
    return out


def split_sentences(text: str, lang: str) -> list[str]:
    """The post's prose sentences in order (code, tables and headings left out)."""
    return [s for _, block in prose_blocks(text) for s in _split_block(block, lang)]


def _is_code(s: str) -> bool:
    if _CODE.search(s):
        return True
    symbols = sum(c in "{}[]()<>=;:_/\\|$#@" for c in s)
    return symbols > 0.08 * len(s)


def _ends_sentence(s: str) -> bool:
    return bool(_TERMINAL.search(s) or (_CJK.search(s) and _KO_TERMINAL.search(s)))


def whole_sentence(s: str) -> bool:
    """A sentence a reader takes as a statement: starts like one, ends like one, nothing left open."""
    if not s:
        return False
    cjk = bool(_CJK.search(s))
    if len(s) < (MIN_SENT_CHARS_CJK if cjk else MIN_SENT_CHARS) or len(s) > MAX_SENT_CHARS:
        return False
    first = s[0]
    if not (first.isupper() or first.isdigit() or first in "\"'“‘" or (first.isalpha() and not first.islower())):
        return False
    if not _ends_sentence(s) or s.rstrip().endswith(("?", "？", ":")):
        return False
    if _FUNCTION_END.search(s.rstrip(".!")):
        return False
    if s.count("(") != s.count(")") or s.count("[") != s.count("]") or s.count('"') % 2 or s.count("`") % 2:
        return False
    return True


def _terse(sentence: str, lang: str) -> str:
    s = sentence.strip()
    for _ in range(3):   # "In this post, we describe how we cut ..." → "Cut ..."
        shorter = _WE_DID.sub("", _WE_SAY.sub("", _FILLER.sub("", s)))
        if shorter == s:
            break
        s = shorter
    if s and not _HANGUL.search(s[:1]):
        s = s[:1].upper() + s[1:]
    if _HANGUL_END.search(s):
        s = _note_ending(s)
    return s.rstrip(" .。")


def _note_ending(s: str) -> str:
    """A Korean sentence's ending as a note ("구성했습니다" → "구성했음", "만듭니다" → "만듦"): the last
    word is re-joined by kiwipiepy from its morphemes with the noun ending -음; the rest stays as written."""
    try:
        tokens = kiwi().tokenize(s)
        ends = [i for i, t in enumerate(tokens) if t.tag == "EF"]
        if ends and all(t.tag.startswith("S") for t in tokens[ends[-1] + 1:]):
            end = ends[-1]
            word_start = s.rfind(" ", 0, tokens[end].start) + 1
            first = next(i for i, t in enumerate(tokens) if t.start + t.len > word_start)
            if first < end:
                tail = kiwi().join([(t.form, t.tag) for t in tokens[first:end]] + [("음", "ETN")])
                # after a Latin word or a number Kiwi writes the full copula ("ms이었음"); Korean writing
                # contracts it after a vowel sound ("25 ms였음") and spaces nothing new
                m = re.match(r"([A-Za-z0-9%.,]+)이었음$", tail)
                if m and final_sound(m.group(1)) == "":
                    tail = f"{m.group(1)}였음"
                return s[:tokens[first].start] + tail
    except Exception:  # noqa: BLE001 — an analyser failure leaves the rule-based endings below
        pass
    for pattern, repl in _POLITE:
        if pattern.search(s):
            return pattern.sub(repl, s)
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

    def candidates(self, post: Post) -> list[str]:
        """The sentences that may become bullets, in document order."""
        text = (post.text or "")[:MAX_TEXT_CHARS]
        title = " ".join((post.title or "").lower().split())
        out: list[str] = []
        opening_done = False
        for kind, block in prose_blocks(text):
            sents = _split_block(block, post.lang)
            if kind == "para" and not opening_done and sents and _ends_sentence(sents[0]) \
                    and " ".join(sents[0].lower().split()) != title:
                # the post's opening sentence (not its title or a heading) sets the scene; notes start after it
                sents, opening_done = sents[1:], True
            for s in sents:
                if whole_sentence(s) and not _is_code(s) and not _BOILERPLATE.search(s) and not _LEAD_IN.search(s) \
                        and s.lower().rstrip(".") != title:
                    out.append(s)
            if len(out) >= MAX_CANDIDATES:
                break
        return out

    def summarize(self, post: Post, enrichment: Enrichment | None = None, lang: str = "ko") -> Summary:
        sents = self.candidates(post)
        extra = self._link_bullets(enrichment, lang) if enrichment is not None else []
        room = max(1, self.max_bullets - len(extra))
        bullets = [b for b in (_terse(s, post.lang) for s in self._best(sents, room)) if b]
        note = "" if bullets else NO_SENTENCES
        bullets = (bullets + extra)[: max(self.max_bullets, len(extra))]
        return Summary(bullets=bullets, author="extractive", lang=lang, note=note)

    def _best(self, sents: list[str], k: int) -> list[str]:
        if len(sents) <= k:
            return sents
        try:
            m = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True).fit_transform(sents)
        except ValueError:
            return sents[:k]
        # centrality: similarity to the post's centroid (the mean of all pairwise similarities, in O(n))
        centroid = np.asarray(m.mean(axis=0)).ravel()
        centrality = m @ centroid
        centrality = centrality / (centrality.max() or 1.0)
        scores = [0.5 * centrality[i] + self._worth(s) + 0.1 * (1 - i / len(sents)) for i, s in enumerate(sents)]
        chosen: list[int] = []
        for i in np.argsort(scores)[::-1]:
            if any(float((m[i] @ m[j].T).toarray()[0, 0]) > NEAR_REPEAT for j in chosen):
                continue
            chosen.append(int(i))
            if len(chosen) == k:
                break
        return [sents[i] for i in sorted(chosen)]

    @staticmethod
    def _worth(s: str) -> float:
        """What a curator keeps: a result with its number, the method and tools, the public artefact;
        minus what reads badly as a note (needs context, talks to the reader, runs long)."""
        results = len(_RESULT.findall(s))
        score = 0.35 * min(2, results) + (0.15 if results and _COMPARE.search(s) else 0.0)
        score += 0.2 * bool(_METHOD.search(s)) + 0.05 * min(3, len(_NAME.findall(s)))
        score += 0.15 * bool(_ARTEFACT.search(s))
        score -= 0.3 * bool(_DANGLING_START.match(s)) + 0.25 * bool(_YOU.search(s))
        score -= 0.2 * bool(_LABEL.match(s))     # "Skip: ignore data if ..." is a list of options
        cjk = 2 if _CJK.search(s) else 1    # a Korean or Chinese character says about twice a Latin one
        score -= 0.4 * max(0, len(s) * cjk - TARGET_CHARS) / TARGET_CHARS
        return score

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
