"""Curation benchmark: classification quality on the shared labelled data, with honest splits.

    python bench/curation.py [--json] [--folds 5]

Rows: seed_dev.jsonl (a curator's digest: track and area) and applied_ml.jsonl (a public list of
applied-ML posts: all business cases, area where the section maps to one; URLs repeated across
sections are kept once). Stratified k-fold cross-validation: each fold's classifier is trained on the
bundled seed set plus the other folds, never on the fold it is scored on. In-scope precision/recall
use the shared rows as positives and the out-of-scope examples of the bundled seed set as negatives,
each held out in turn the same way (the shared data has no negatives of its own). The same run scores
a majority-class baseline and a keyword baseline.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from blogsift.classify import Classifier, Example, seed_examples  # noqa: E402
from blogsift.models import Source  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
BASELINE = Path(__file__).with_name("baseline.json")

#: the keyword baseline: the first area whose words appear in the title wins
KEYWORDS = {
    "cv": r"image|vision|video|photo|visual|detect|segment|pixel|camera|ocr|이미지|영상|비전",
    "nlp": r"language|text|nlp|translat|chat|llm|bert|gpt|speech|search quer|token|언어|텍스트|챗봇|번역",
    "training_inference_mlops": r"train|infer|serv|deploy|platform|pipeline|feature store|mlops|monitor|scal|gpu|"
                                r"latency|data quality|학습|추론|서빙|배포|파이프라인",
    "recsys_etc": r".",
}


def load_rows() -> list[dict]:
    rows = []
    for line in (DATA / "seed_dev.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        rows.append(dict(title=r["title"], url=r["url"], org=r["org"], track=r["track"], area=r["area"],
                         from_digest=True))
    seen = {r["url"] for r in rows}
    for line in (DATA / "applied_ml.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        if r["area"] is None or r["url"] in seen:
            continue
        seen.add(r["url"])
        rows.append(dict(title=r["title"], url=r["url"], org=r["company"], track="business", area=r["area"],
                         from_digest=False))
    return rows


def source_for(row: dict) -> Source:
    aws = "aws.amazon.com/" in row["url"]
    kind = "company" if row.get("org") else "individual"
    return Source(key="eval", name=row.get("org") or "", feed_url="https://example.invalid/", org=row.get("org"),
                  kind=kind, aws=aws)


def keyword_area(title: str) -> str:
    t = title.lower()
    return next(a for a, pat in KEYWORDS.items() if re.search(pat, t))


def keyword_track(row: dict) -> str:
    if "aws.amazon.com/" in row["url"] and re.search(r"sagemaker|amazon|aws", row["title"], re.I):
        return "aws"
    return "business" if row.get("org") else "research"


def evaluate(folds: int = 5, seed: int = 0) -> dict:
    rows = load_rows()
    seed_set = seed_examples()
    negatives = [e for e in seed_set if not e.in_scope]
    positives_seed = [e for e in seed_set if e.in_scope]
    skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    neg_folds = np.array_split(np.random.default_rng(seed).permutation(len(negatives)), folds)
    y_track, p_track, y_area, p_area = [], [], [], []
    kw_track, kw_area, maj_track, maj_area = [], [], [], []
    scope_true, scope_pred, from_digest = [], [], []
    for k, (train_idx, test_idx) in enumerate(skf.split(rows, [r["area"] for r in rows])):
        held_neg = set(neg_folds[k].tolist())
        train = positives_seed + [e for i, e in enumerate(negatives) if i not in held_neg] + [
            Example(title=rows[i]["title"], in_scope=True, track=rows[i]["track"], area=rows[i]["area"],
                    source_hint=f"srckind{source_for(rows[i]).kind} " + ("srcaws " if source_for(rows[i]).aws else ""))
            for i in train_idx]
        clf = Classifier(train)
        test = [rows[i] for i in test_idx]
        preds = clf.classify_many([dict(title=r["title"], source=source_for(r)) for r in test])
        track_major = Counter(rows[i]["track"] for i in train_idx).most_common(1)[0][0]
        area_major = Counter(rows[i]["area"] for i in train_idx).most_common(1)[0][0]
        for r, c in zip(test, preds):
            y_track.append(r["track"]); p_track.append(c.track)
            y_area.append(r["area"]); p_area.append(c.area)
            kw_track.append(keyword_track(r)); kw_area.append(keyword_area(r["title"]))
            maj_track.append(track_major); maj_area.append(area_major)
            scope_true.append(True); scope_pred.append(c.in_scope)
            from_digest.append(r["from_digest"])
        neg = [negatives[i] for i in sorted(held_neg)]
        for c in clf.classify_many([dict(title=e.title) for e in neg]):
            scope_true.append(False); scope_pred.append(c.in_scope)

    def block(pt, pa):
        return {"track_accuracy": round(accuracy_score(y_track, pt), 4),
                "area_accuracy": round(accuracy_score(y_area, pa), 4),
                "area_macro_f1": round(f1_score(y_area, pa, average="macro"), 4)}

    result = {
        "rows": len(rows), "folds": folds, "negatives": len(negatives),
        "model": block(p_track, p_area),
        "majority": block(maj_track, maj_area),
        "keyword": block(kw_track, kw_area),
        "in_scope_precision": round(precision_score(scope_true, scope_pred), 4),
        "in_scope_recall": round(recall_score(scope_true, scope_pred), 4),
    }
    # track is only informative on the curator's digest (applied_ml is all business): report it apart
    for name, pt in (("model", p_track), ("keyword", kw_track), ("majority", maj_track)):
        pairs = [(y, p) for y, p, d in zip(y_track, pt, from_digest) if d]
        result[name]["digest_track_accuracy"] = round(sum(y == p for y, p in pairs) / len(pairs), 4)
    negs = [p for t, p in zip(scope_true, scope_pred) if not t]
    result["out_of_scope_recall"] = round(sum(not p for p in negs) / len(negs), 4)
    return result


def ranker_learning(seed: int = 0) -> dict:
    """Does learning from decisions move the ranker toward a person's choices? A simulated curator whose
    taste differs from the defaults (research over business cases, papers valued) decides on half of
    the demo posts; the
    ranker is refit on those decisions and both rankers are scored on the other half: agreement of
    "score above the median" with the curator's choice."""
    from blogsift.demo import demo_posts, demo_sources
    from blogsift.enrich import enrich
    from blogsift.models import Post
    from blogsift.rank import Ranker, signals

    sources = {s.key: s for s in demo_sources("http://demo")}
    clf = Classifier.default()
    rows = []
    for d in demo_posts():
        links = [u for u in (d.facts.get("code"), d.facts.get("model"), d.facts.get("paper")) if u]
        post = Post(url=d.path, title=d.title, source_key=d.source, text=d.text, lang=d.lang, links=links)
        c = clf.classify(d.title, d.text, source=sources[d.source])
        e = enrich(post)
        wants = d.in_scope and (d.track == "research" or bool(e.paper_links))
        rows.append((post, c, e, sources[d.source], wants))
    order = np.random.default_rng(seed).permutation(len(rows))
    train, test = [rows[i] for i in order[: len(rows) // 2]], [rows[i] for i in order[len(rows) // 2:]]
    learned = Ranker.fit([(signals(p, c, e, s), w) for p, c, e, s, w in train], min_each=3)

    def agreement(ranker: Ranker) -> float:
        scores = [ranker.rank(p, c, e, s).total for p, c, e, s, _ in test]
        cut = float(np.median(scores))
        return sum((sc > cut) == w for sc, (*_, w) in zip(scores, test)) / len(test)

    return {"decisions": len(train), "held_out": len(test), "agreement_before": round(agreement(Ranker()), 4),
            "agreement_after": round(agreement(learned), 4), "learned_model": learned.model}


def check_floors(result: dict, floors: dict) -> list[str]:
    failures = []
    for key, floor in floors.items():
        section, _, metric = key.partition(".")
        value = result[section][metric] if metric else result[section]
        if value < floor:
            failures.append(f"{key} = {value:.4f} < floor {floor:.4f}")
    return failures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    result = evaluate(args.folds)
    result["ranker_learning"] = ranker_learning()
    floors = json.loads(BASELINE.read_text())["floors"] if BASELINE.exists() else {}
    failures = check_floors(result, floors)
    if args.json:
        print(json.dumps({**result, "floor_failures": failures}, ensure_ascii=False))
    else:
        print(f"curation: {result['rows']} labelled rows, {args.folds}-fold CV, {result['negatives']} held-out negatives")
        print(f"{'':12}{'track acc':>10}{'(digest)':>10}{'area acc':>10}{'area F1':>10}")
        for name in ("model", "keyword", "majority"):
            b = result[name]
            print(f"{name:12}{b['track_accuracy']:>10.3f}{b['digest_track_accuracy']:>10.3f}"
                  f"{b['area_accuracy']:>10.3f}{b['area_macro_f1']:>10.3f}")
        print(f"in scope: precision {result['in_scope_precision']:.3f}, recall {result['in_scope_recall']:.3f}; "
              f"out of scope left out: {result['out_of_scope_recall']:.3f}")
        rl = result["ranker_learning"]
        print(f"ranker learning: agreement with a simulated curator on {rl['held_out']} held-out posts "
              f"{rl['agreement_before']:.3f} → {rl['agreement_after']:.3f} after {rl['decisions']} decisions")
        for f in failures:
            print("BELOW FLOOR:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
