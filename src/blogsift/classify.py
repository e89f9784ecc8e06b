"""Classification: is a post in scope, which track (research / business / aws) and which area.

A TF-IDF (word and character n-grams, so Korean works without a tokenizer model) logistic regression
per question, trained on the bundled labelled seed set plus every example the user has given:
imported digest entries and review decisions. Two rules sit on top, because they are the user's
definitions rather than something to learn: the AWS-only track is for posts about using AWS services,
and a post on an AWS blog that is not about AWS services is a business case.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, make_pipeline

from .models import Classification, Source

__all__ = ["Classifier", "Example", "examples_from_store", "seed_examples", "AWS_SERVICES"]

#: characters of body text used next to the title: enough for the topic, short enough to keep the
#: title (what the seed examples are) the main signal
TEXT_CHARS = 600
#: regularisation: a small seed set wants a smooth model
C_VALUE = 4.0
#: probability mass added to the track a blog's kind suggests (company → business, lab → research)
SOURCE_KIND_PRIOR = 0.35
AWS_SERVICES = re.compile(
    r"(?<![A-Za-z])(Amazon SageMaker|SageMaker|Bedrock|Inferentia\d?|Trainium\d?|Amazon Personalize|Amazon Comprehend|"
    r"Amazon Rekognition|Amazon Textract|Amazon Kendra|Amazon Lex|Amazon Transcribe|Amazon Polly|"
    r"Amazon Forecast|Fraud Detector|Lookout for \w+|AWS Lambda|Amazon EC2|Amazon S3|JumpStart|"
    r"Amazon Q|AWS Glue|Amazon EKS|HealthScribe)(?![A-Za-z])", re.I)


@dataclass
class Example:
    title: str
    text: str = ""
    in_scope: bool = True
    track: str | None = None
    area: str | None = None
    source_hint: str = ""


def _doc(title: str, text: str, hint: str) -> str:
    return f"{hint} {title} {title} {(text or '')[:TEXT_CHARS]}"


def _hint(source: Source | None) -> str:
    if source is None:
        return ""
    return f"srckind{source.kind} " + ("srcaws " if source.aws else "")


def seed_examples() -> list[Example]:
    text = resources.files("blogsift").joinpath("data/training_seed.jsonl").read_text(encoding="utf-8")
    return [Example(**json.loads(line)) for line in text.splitlines() if line.strip()]


def examples_from_store(store) -> list[Example]:
    """Every digest entry a person made or confirmed (imported, reviewed) and every rejection, as
    training examples. Entries the machine selected on its own are not: learning from them would
    only teach the classifier its own mistakes (and make a run depend on what earlier runs did)."""
    out = []
    for e in store.list_entries(status=None):
        if e["origin"] == "machine" and not store.decisions_for(e["url"]):
            continue
        post = store.get_post(e["url"])
        title = post.title if post else re.sub(r"[*\\]", "", e["title_md"])
        text = post.text if post else ""
        out.append(Example(title=title, text=text, in_scope=e["status"] == "accepted",
                           track=e["track"], area=e["area"]))
    return out


def _vectorizer() -> FeatureUnion:
    return FeatureUnion([
        ("word", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, lowercase=True)),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=1)),
    ])


class Classifier:
    def __init__(self, examples: list[Example], model_id: str = "tfidf-lr:v1"):
        self.model = model_id
        docs = [_doc(e.title, e.text, e.source_hint) for e in examples]
        self.scope = make_pipeline(_vectorizer(), LogisticRegression(C=C_VALUE, max_iter=2000, class_weight="balanced"))
        self.scope.fit(docs, [bool(e.in_scope) for e in examples])
        pos = [(d, e) for d, e in zip(docs, examples) if e.in_scope and e.track and e.area]
        self.track = make_pipeline(_vectorizer(), LogisticRegression(C=C_VALUE, max_iter=2000))
        self.track.fit([d for d, _ in pos], [e.track for _, e in pos])
        self.area = make_pipeline(_vectorizer(), LogisticRegression(C=C_VALUE, max_iter=2000))
        self.area.fit([d for d, _ in pos], [e.area for _, e in pos])

    @classmethod
    def default(cls, settings=None, extra_examples: list[Example] | None = None) -> "Classifier":
        extra = tuple((e.title, e.text[:TEXT_CHARS], e.in_scope, e.track, e.area) for e in (extra_examples or []))
        return _cached(extra)

    def classify(self, title: str, text: str = "", org: str | None = None, source: Source | None = None,
                 lang: str | None = None) -> Classification:
        return self.classify_many([dict(title=title, text=text, org=org, source=source, lang=lang)])[0]

    def classify_many(self, items: list[dict]) -> list[Classification]:
        if not items:
            return []
        docs = [_doc(i["title"], i.get("text") or "", _hint(i.get("source"))) for i in items]
        scope_p = self.scope.predict_proba(docs)[:, list(self.scope.classes_).index(True)]
        track_p = self.track.predict_proba(docs)
        area_p = self.area.predict_proba(docs)
        out = []
        for i, item in enumerate(items):
            t_probs = dict(zip(self.track.classes_, track_p[i]))
            source: Source | None = item.get("source")
            about_aws = bool(AWS_SERVICES.search(item["title"])) or \
                len(AWS_SERVICES.findall((item.get("text") or "")[:4000])) >= 2
            if about_aws and (source is None or source.aws):
                t_probs = {"aws": max(0.8, t_probs.get("aws", 0.0)), **{k: v * 0.2 for k, v in t_probs.items() if k != "aws"}}
            elif "aws" in t_probs:
                # not about AWS services: an AWS blog's library or technique post is a business case
                t_probs["business"] = t_probs.get("business", 0.0) + t_probs.pop("aws")
            # the kind of blog is a strong prior: a company writes about its products, a lab about research
            if source is not None and not about_aws:
                if source.kind == "company":
                    t_probs["business"] = t_probs.get("business", 0.0) + SOURCE_KIND_PRIOR
                elif source.kind == "research":
                    t_probs["research"] = t_probs.get("research", 0.0) + SOURCE_KIND_PRIOR
            total = sum(t_probs.values())
            track = max(t_probs, key=t_probs.get)
            a = int(np.argmax(area_p[i]))
            out.append(Classification(
                in_scope=bool(scope_p[i] >= 0.5), in_scope_conf=float(scope_p[i] if scope_p[i] >= 0.5 else 1 - scope_p[i]),
                track=track, track_conf=float(t_probs[track] / total),
                area=str(self.area.classes_[a]), area_conf=float(area_p[i][a]), model=self.model))
        return out


@lru_cache(maxsize=4)
def _cached(extra: tuple) -> Classifier:
    examples = seed_examples() + [Example(title=t, text=x, in_scope=s, track=tr, area=ar) for t, x, s, tr, ar in extra]
    return Classifier(examples)
