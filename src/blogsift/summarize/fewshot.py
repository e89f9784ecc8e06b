"""Few-shot examples for the LLM summarizer: the person's own bullets on the posts nearest this one.

An example is a post the person summarized (an imported digest entry, an edited summary): its title,
its track and area, and the bullets they wrote. For a new post, the examples shown to the model are
the ``k`` nearest: same area first (a CV post learns from CV notes), then similar text, measured as the
cosine of character n-gram TF-IDF between the post (title and opening text) and the example (title and
bullets). Character n-grams match across the digest's languages where it matters most: the names of
models, tools and methods are written in Latin script in Korean notes too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = ["Example", "nearest_examples", "examples_from_entries"]

#: weight of "same area" against text similarity (a cosine in [0, 1]): an example from the same area
#: wins over a more similar one from another area unless the other is much closer
SAME_AREA_BONUS = 0.5
SAME_TRACK_BONUS = 0.05
#: characters of the post that describe it for the comparison (the title and the opening paragraphs)
POST_CHARS = 2000


@dataclass
class Example:
    title: str
    bullets: list[str]
    area: str | None = None
    track: str | None = None
    url: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return f"{self.title}\n" + "\n".join(self.bullets)


def examples_from_entries(entries: list[dict]) -> list[Example]:
    """The entries a person wrote the summary of (imported or edited), as examples."""
    out = []
    for e in entries:
        if str(e.get("summary_author") or "").startswith("person") and e.get("bullets"):
            out.append(Example(title=re.sub(r"[*\\]", "", e.get("title_md") or ""), bullets=list(e["bullets"]),
                               area=e.get("area"), track=e.get("track"), url=e.get("url") or ""))
    return out


def nearest_examples(title: str, text: str, examples: list[Example], k: int, *, area: str | None = None,
                     track: str | None = None, exclude_url: str | None = None) -> list[Example]:
    """The ``k`` examples nearest to the post, nearest first."""
    pool = [e for e in examples if e.bullets and (not exclude_url or e.url != exclude_url)]
    if len(pool) <= 1 or k <= 0:
        return pool[:max(0, k)]
    query = f"{title}\n{(text or '')[:POST_CHARS]}"
    try:
        m = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, lowercase=True) \
            .fit_transform([query] + [e.text for e in pool])
    except ValueError:           # nothing but stop characters: keep the person's order
        return pool[:k]
    sims = (m[1:] @ m[0].T).toarray().ravel()
    scored = []
    for i, (e, sim) in enumerate(zip(pool, sims)):
        score = float(sim) + SAME_AREA_BONUS * bool(area and e.area == area) + \
            SAME_TRACK_BONUS * bool(track and e.track == track)
        scored.append((-score, i, e))
    return [e for _, _, e in sorted(scored)[:k]]
