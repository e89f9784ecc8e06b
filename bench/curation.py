"""Curation benchmark: judgement on real labelled posts, with honest protocols and baselines.

    python bench/curation.py [--json] [--folds 5] [--pool listing.jsonl ...] [--no-gate]

Needs ``../shared`` (data/, corpus/). Every figure is on real posts, title + URL + organisation only:

- protocol (a), a new user's first run: train on everything except the curator-labelled set (the
  hand-written seed set, the applied-ML list, real off-topic posts), test on the curator's set;
- protocol (b): k-fold within the curator's set, everything else always in training (what the
  shipped model, trained on all of it, is worth on posts it has not seen);
- the previous model (main before the shipped labelled data, loaded from git history) beside it,
  with the source it was given then (an organisation meant "company");
- baselines in the same run: majority class, keywords, and the registry's kind of blog alone;
- out of scope: real off-topic posts of real ML blogs (bench/labelled_data.py says which and why),
  leave-one-blog-out, so no blog's off-topic posts are in training when they are scored;
- selection on real pools (``pytorch-window-listing`` format: url, title, date, curator_pick): where
  the curator's picks land among the blog's other posts of the same months, by blogsift's score,
  by recency and at random.

Gates (bench/baseline.json): each floor must sit above the best baseline of this very run, or the
run fails as if the floor were missed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import subprocess
import sys
from collections import Counter
from datetime import date
from functools import lru_cache
from pathlib import Path

from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import labelled_data  # noqa: E402
from blogsift.classify import EMBEDDED_QUESTIONS, Classifier, Example, example_from_row, seed_examples  # noqa: E402
from blogsift.models import TRACKS, Post, Source  # noqa: E402
from blogsift.sources import registry_resolver  # noqa: E402

BASELINE = Path(__file__).with_name("baseline.json")
#: the variant the package ships (``curation.use_embeddings`` on)
SHIPPED = "tfidf+use"
DEFAULT_POOLS = [labelled_data.CORPUS / "pytorch-window-listing" / "listing.jsonl"]
#: the commit whose classifier is "the previous model" (main before labelled data shipped)
PREVIOUS_MODEL_REF = "a05b130"

#: the keyword baseline: the first area whose words appear in the title wins
KEYWORDS = {
    "cv": r"image|vision|video|photo|visual|detect|segment|pixel|camera|ocr|이미지|영상|비전",
    "nlp": r"language|text|nlp|translat|chat|llm|bert|gpt|speech|search quer|token|언어|텍스트|챗봇|번역",
    "training_inference_mlops": r"train|infer|serv|deploy|platform|pipeline|feature store|mlops|monitor|scal|gpu|"
                                r"latency|data quality|학습|추론|서빙|배포|파이프라인",
    "recsys_etc": r".",
}
#: the keyword scope baseline: a title with any of these words is in scope
SCOPE_WORDS = (r"model|learn|neural|train|infer|vision|image|language|nlp|llm|gpt|recommend|search|rank|"
               r"embedding|vector|dataset|mlops|pipeline|feature|ai\b|ml\b|학습|모델|추천|검색|데이터")


# -- data ------------------------------------------------------------------------------------------

def _examples(rows: list[dict], resolve) -> list[Example]:
    return [example_from_row(r, resolve) for r in rows]


def load(resolve) -> dict:
    cur = labelled_data.curator_rows()
    return {
        "curator": cur,
        "applied": labelled_data.applied_ml_rows({r["url"] for r in cur}),
        "off_topic": labelled_data.off_topic_rows(),
        "seed": seed_examples(),
        "corpus": labelled_data.corpus_posts(),
    }


def items_for(rows: list[dict], resolve) -> list[dict]:
    """What a user gives ``blogsift classify``: title, URL, the organisation as the entry shows it."""
    return [dict(title=r["title"], source=resolve(r["url"]), listed_org=r.get("org")) for r in rows]


# -- baselines -------------------------------------------------------------------------------------

def keyword_area(title: str) -> str:
    t = title.lower()
    return next(a for a, pat in KEYWORDS.items() if re.search(pat, t))


def keyword_track(row: dict) -> str:
    # the rule of thumb a new user would write: AWS blog + AWS words → aws; an organisation → company
    if "aws.amazon.com/" in row["url"] and re.search(r"sagemaker|amazon|aws", row["title"], re.I):
        return "aws"
    return "business" if row.get("org") else "research"


def registry_track(row: dict, resolve) -> str:
    # the registry's kind of blog alone: labs → research, AWS blogs → aws, everything else → business
    s = resolve(row["url"])
    if s is None:
        return "business"
    if s.aws:
        return "aws"
    return "research" if s.kind == "research" else "business"


def keyword_in_scope(title: str) -> bool:
    return bool(re.search(SCOPE_WORDS, title.lower()))


# -- the previous model ----------------------------------------------------------------------------

@lru_cache(maxsize=1)
def previous_model():
    """main's classifier before this change, from git history, trained the way it shipped (seed set
    only), and the source it was given: "company" whenever the record had an organisation."""
    try:
        code = subprocess.run(["git", "-C", str(ROOT), "show", f"{PREVIOUS_MODEL_REF}:src/blogsift/classify.py"],
                              capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    spec = importlib.util.spec_from_loader("blogsift._classify_previous", loader=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "blogsift"
    sys.modules[spec.name] = module
    exec(compile(code, "classify@" + PREVIOUS_MODEL_REF, "exec"), module.__dict__)
    clf = module.Classifier(module.seed_examples())

    def classify(rows: list[dict]):
        items = [dict(title=r["title"], source=Source(
            key="input", name=r.get("org") or "", feed_url="https://example.invalid/", org=r.get("org"),
            kind="company" if r.get("org") else "individual", aws="aws.amazon.com/" in r.get("url", "")))
            for r in rows]
        return clf.classify_many(items)

    return classify


# -- metrics ---------------------------------------------------------------------------------------

def scores(y_track, p_track, y_area, p_area, in_scope=None) -> dict:
    out = {"track_accuracy": round(accuracy_score(y_track, p_track), 4),
           "area_accuracy": round(accuracy_score(y_area, p_area), 4),
           "area_macro_f1": round(f1_score(y_area, p_area, average="macro", zero_division=0), 4)}
    if in_scope is not None:
        out["in_scope_recall"] = round(sum(in_scope) / len(in_scope), 4)
    return out


def confusion(y, p) -> dict:
    m = confusion_matrix(y, p, labels=list(TRACKS))
    return {t: dict(zip(TRACKS, map(int, row))) for t, row in zip(TRACKS, m)}


def baselines(train_rows: list[dict], test: list[dict], resolve) -> dict:
    y_t, y_a = [r["track"] for r in test], [r["area"] for r in test]
    maj_t = Counter(r["track"] for r in train_rows if r.get("track")).most_common(1)[0][0]
    maj_a = Counter(r["area"] for r in train_rows if r.get("area")).most_common(1)[0][0]
    return {
        "majority": scores(y_t, [maj_t] * len(test), y_a, [maj_a] * len(test), [True] * len(test)),
        "keyword": scores(y_t, [keyword_track(r) for r in test], y_a, [keyword_area(r["title"]) for r in test],
                          [keyword_in_scope(r["title"]) for r in test]),
        "registry": scores(y_t, [registry_track(r, resolve) for r in test], y_a,
                           [maj_a] * len(test), [True] * len(test)),
    }


# -- protocols -------------------------------------------------------------------------------------

def protocol_a(data, resolve, variants: dict[str, tuple]) -> dict:
    test = data["curator"]
    train = data["seed"] + _examples(data["applied"] + data["off_topic"], resolve)
    out = {"test_rows": len(test), "train_examples": len(train), "models": {}, "confusion": {}}
    for name, emb in variants.items():
        preds = Classifier(train, embeddings=bool(emb), embedded=emb).classify_many(items_for(test, resolve))
        out["models"][name] = _model_scores(test, preds)
        out["confusion"][name] = confusion([r["track"] for r in test], [c.track for c in preds])
    prev = previous_model()
    if prev is not None:
        preds = prev(test)
        out["models"]["previous"] = _model_scores(test, preds)
        out["confusion"]["previous"] = confusion([r["track"] for r in test], [c.track for c in preds])
    out["baselines"] = baselines(data["applied"], test, resolve)
    return out


def protocol_b(data, resolve, variants: dict[str, tuple], folds: int, seed: int = 0) -> dict:
    cur = data["curator"]
    rest = data["seed"] + _examples(data["applied"] + data["off_topic"], resolve)
    skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    preds: dict[str, list] = {name: [None] * len(cur) for name in variants}
    base_preds = {k: {"track": [None] * len(cur), "area": [None] * len(cur), "scope": [None] * len(cur)}
                  for k in ("majority", "keyword", "registry")}
    for train_idx, test_idx in skf.split(cur, [r["track"] for r in cur]):
        train_rows = [cur[i] for i in train_idx]
        test = [cur[i] for i in test_idx]
        train = rest + _examples(train_rows, resolve)
        for name, emb in variants.items():
            clf = Classifier(train, embeddings=bool(emb), embedded=emb)
            for i, c in zip(test_idx, clf.classify_many(items_for(test, resolve))):
                preds[name][i] = c
        maj_t = Counter(r["track"] for r in data["applied"] + train_rows).most_common(1)[0][0]
        maj_a = Counter(r["area"] for r in data["applied"] + train_rows).most_common(1)[0][0]
        for i in test_idx:
            r = cur[i]
            for k, t, a, s in (("majority", maj_t, maj_a, True),
                               ("keyword", keyword_track(r), keyword_area(r["title"]), keyword_in_scope(r["title"])),
                               ("registry", registry_track(r, resolve), maj_a, True)):
                base_preds[k]["track"][i], base_preds[k]["area"][i], base_preds[k]["scope"][i] = t, a, s
    y_t, y_a = [r["track"] for r in cur], [r["area"] for r in cur]
    return {
        "folds": folds, "test_rows": len(cur),
        "models": {name: _model_scores(cur, p) for name, p in preds.items()},
        "confusion": {name: confusion(y_t, [c.track for c in p]) for name, p in preds.items()},
        "baselines": {k: scores(y_t, v["track"], y_a, v["area"], v["scope"]) for k, v in base_preds.items()},
    }


def _model_scores(rows, preds) -> dict:
    return scores([r["track"] for r in rows], [c.track for c in preds], [r["area"] for r in rows],
                  [c.area for c in preds], [c.in_scope for c in preds])


def out_of_scope(data, resolve, variants: dict[str, tuple]) -> dict:
    """Real off-topic posts, one blog at a time held out of training; the same blog's other corpus
    posts (in scope by the same judgement) show what the filter costs."""
    labelled = data["seed"] + _examples(data["curator"] + data["applied"], resolve)
    blogs = sorted({r["blog"] for r in data["off_topic"]})
    result: dict = {"blogs": blogs, "off_topic": len(data["off_topic"]), "models": {}}
    on_topic = [p for p in data["corpus"] if p["blog"] in blogs and not labelled_data.is_off_topic(p)]
    result["on_topic_same_blogs"] = len(on_topic)
    for name, emb in variants.items():
        left_out = kept = 0
        for blog in blogs:
            train = labelled + _examples([r for r in data["off_topic"] if r["blog"] != blog], resolve)
            clf = Classifier(train, embeddings=bool(emb), embedded=emb)
            neg = [r for r in data["off_topic"] if r["blog"] == blog]
            pos = [p for p in on_topic if p["blog"] == blog]
            left_out += sum(not c.in_scope for c in clf.classify_many([dict(title=r["title"]) for r in neg]))
            kept += sum(c.in_scope for c in clf.classify_many([dict(title=p["title"]) for p in pos]))
        result["models"][name] = _scope_scores(left_out, len(data["off_topic"]), kept, len(on_topic))
    prev = previous_model()
    if prev is not None:
        neg = prev([dict(title=r["title"], url=r["url"]) for r in data["off_topic"]])
        pos = prev([dict(title=p["title"], url=p["url"]) for p in on_topic])
        result["models"]["previous"] = _scope_scores(sum(not c.in_scope for c in neg), len(neg),
                                                     sum(c.in_scope for c in pos), len(pos))
    kw_out = sum(not keyword_in_scope(r["title"]) for r in data["off_topic"])
    kw_kept = sum(keyword_in_scope(p["title"]) for p in on_topic)
    result["baselines"] = {"majority": _scope_scores(0, len(data["off_topic"]), len(on_topic), len(on_topic)),
                           "keyword": _scope_scores(kw_out, len(data["off_topic"]), kw_kept, len(on_topic))}
    return result


def _scope_scores(left_out, n_neg, kept, n_pos) -> dict:
    out_recall, kept_rate = left_out / n_neg, kept / n_pos
    return {"out_of_scope_recall": round(out_recall, 4), "on_topic_kept": round(kept_rate, 4),
            "balanced_accuracy": round((out_recall + kept_rate) / 2, 4)}


# -- selection on real pools -----------------------------------------------------------------------

def _pool_date(rec: dict) -> date:
    """The post's date; a month alone is its 15th; an undated post sits in the middle of the range the
    listing gives it (``between A and B``); otherwise it counts as the oldest."""
    d = rec.get("date")
    if d and re.fullmatch(r"\d{4}-\d{2}-\d{2}", d):
        return date.fromisoformat(d)
    if d and re.fullmatch(r"\d{4}-\d{2}", d):
        return date.fromisoformat(d + "-15")
    found = re.findall(r"\d{4}-\d{2}-\d{2}", rec.get("date_precision") or "")
    if len(found) == 2:
        a, b = (date.fromisoformat(x) for x in found)
        return date.fromordinal((a.toordinal() + b.toordinal()) // 2)
    return date.min


def _auc(scores: list[float], picks: list[bool]) -> float:
    pos = [s for s, p in zip(scores, picks) if p]
    neg = [s for s, p in zip(scores, picks) if not p]
    pairs = [(1.0 if a > b else 0.5 if a == b else 0.0) for a in pos for b in neg]
    return sum(pairs) / len(pairs)


def _recall_at(scores: list[float], picks: list[bool], k: int) -> float:
    order = sorted(range(len(scores)), key=lambda i: -scores[i])[:k]
    return sum(picks[i] for i in order) / max(1, sum(picks))


def pool_selection(path: Path, clf: Classifier, resolve) -> dict:
    from blogsift.enrich import enrich
    from blogsift.rank import Ranker, signals

    recs = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    picks = [bool(r.get("curator_pick")) for r in recs]
    sources = [resolve(r["url"]) for r in recs]
    classes = clf.classify_many([dict(title=r["title"], text=r.get("text") or "", source=s)
                                 for r, s in zip(recs, sources)])
    ranker = Ranker()
    ours, sigs = [], []
    for r, s, c in zip(recs, sources, classes):
        post = Post(url=r["url"], title=r["title"], source_key=s.key if s else "pool", text=r.get("text") or "")
        e = enrich(post)
        ours.append(ranker.rank(post, c, e, s).total)
        sigs.append(signals(post, c, e, s))
    recency = [float(_pool_date(r).toordinal()) for r in recs]
    n, m = len(recs), sum(picks)
    ks = sorted({m, 5})
    months = sorted({_pool_date(r).strftime("%Y-%m") for r, p in zip(recs, picks) if p})
    # the curator picks within a month: pairs of a pick and a non-pick of the same month
    month_of = [_pool_date(r).strftime("%Y-%m") for r in recs]
    same_month = [(i, j) for i in range(n) for j in range(n) if picks[i] and not picks[j] and month_of[i] == month_of[j]]
    return {
        "pool": str(path.relative_to(labelled_data.SHARED)) if path.is_relative_to(labelled_data.SHARED) else str(path),
        "posts": n, "picks": m, "picks_in_scope": sum(c.in_scope for c, p in zip(classes, picks) if p),
        "same_month_pairs": len(same_month),
        "same_month_auc": round(sum(1.0 if ours[i] > ours[j] else 0.5 if ours[i] == ours[j] else 0.0
                                    for i, j in same_month) / len(same_month), 4) if same_month else None,
        "blogsift": {"auc": round(_auc(ours, picks), 4), **{f"recall@{k}": round(_recall_at(ours, picks, k), 4) for k in ks}},
        "recency": {"auc": round(_auc(recency, picks), 4),
                    **{f"recall@{k}": round(_recall_at(recency, picks, k), 4) for k in ks}},
        "random": {"auc": 0.5, **{f"recall@{k}": round(min(k, n) / n, 4) for k in ks}},
        "learning_from_decisions": learning_from_decisions(sigs, picks, month_of) if len(months) > 1 else
        f"not measurable on this pool: every pick is in {months[0] if months else 'no month'}, so no month's "
        "decisions can be learnt and another month's ranked",
    }


def learning_from_decisions(sigs: list[dict], picks: list[bool], month_of: list[str]) -> dict:
    """The ranker learns from the picks and passes of the other months and ranks each month with a pick
    and a non-pick; within-month AUC before (default weights) and after learning, pooled over months."""
    from blogsift.rank import Ranker, WEIGHTS

    def total(weights: dict, sig: dict) -> float:
        return sum(weights[k] * sig[k] for k in WEIGHTS)

    before, after, months = [], [], []
    for month in sorted(set(month_of)):
        inside = [i for i, m in enumerate(month_of) if m == month]
        if not any(picks[i] for i in inside) or all(picks[i] for i in inside):
            continue
        learned = Ranker.fit([(sigs[i], picks[i]) for i, m in enumerate(month_of) if m != month], min_each=1)
        pairs = [(i, j) for i in inside for j in inside if picks[i] and not picks[j]]
        for weights, out in ((Ranker().weights, before), (learned.weights, after)):
            out += [1.0 if total(weights, sigs[i]) > total(weights, sigs[j]) else
                    0.5 if total(weights, sigs[i]) == total(weights, sigs[j]) else 0.0 for i, j in pairs]
        months.append(month)
    if not before:
        return {"months_ranked": [], "note": "no month has both a pick and a non-pick"}
    return {"months_ranked": months, "pairs": len(before), "auc_before": round(sum(before) / len(before), 4),
            "auc_after": round(sum(after) / len(after), 4)}


# -- gates -----------------------------------------------------------------------------------------

def _get(result: dict, dotted: str):
    value = result
    for part in dotted.split("."):
        value = value[part]
    return value


def _has(result: dict, dotted: str) -> bool:
    try:
        _get(result, dotted)
        return True
    except KeyError:
        return False


def check_floors(result: dict, gates: dict) -> list[str]:
    """Each gate: a metric of the model, its floor, and the baselines of this run it must beat. A floor
    at or below the best baseline is itself a failure: it would not catch anything."""
    failures = []
    for metric, gate in gates.items():
        value = _get(result, metric)
        # the previous model is read from git history: a clone without it compares with the rest
        present = [b for b in gate["above"] if _has(result, b)]
        best_name, best = max(((b, _get(result, b)) for b in present), key=lambda x: x[1])
        if gate["floor"] <= best:
            failures.append(f"floor {metric} ≥ {gate['floor']:.3f} is not above the best baseline "
                            f"({best_name} = {best:.3f})")
        if value < gate["floor"]:
            failures.append(f"{metric} = {value:.4f} < floor {gate['floor']:.4f}")
    return failures


def evaluate(folds: int = 5, pools: list[Path] | None = None, embeddings: bool = True) -> dict:
    resolve = registry_resolver().resolve
    data = load(resolve)
    # the shipped model is "tfidf+use": the sentence encoder for the questions it helps
    variants = {"tfidf": (), "tfidf+use": EMBEDDED_QUESTIONS, "tfidf+use-all": ("scope", "track", "area")} \
        if embeddings else {"tfidf": ()}
    resolved = sum(resolve(r["url"]) is not None for r in data["curator"])
    result = {
        "resolved": {"curator_rows": len(data["curator"]), "resolved": resolved,
                     "rate": round(resolved / len(data["curator"]), 4)},
        "protocol_a": protocol_a(data, resolve, variants),
        "protocol_b": protocol_b(data, resolve, variants, folds),
        "out_of_scope": out_of_scope(data, resolve, variants),
    }
    train_a = data["seed"] + _examples(data["applied"] + data["off_topic"], resolve)
    clf_a = Classifier(train_a, embeddings=embeddings)
    result["pools"] = [pool_selection(p, clf_a, resolve) for p in (pools or DEFAULT_POOLS) if p.exists()]
    return result


def _print(result: dict, failures: list[str]) -> None:
    r = result["resolved"]
    print(f"curator-labelled posts resolved to a registry source: {r['resolved']}/{r['curator_rows']} ({r['rate']:.0%})")
    for key, title in (("protocol_a", "protocol (a): trained without the curator's set, tested on it"),
                       ("protocol_b", f"protocol (b): {result['protocol_b']['folds']}-fold within the curator's "
                                      "set, the rest always in training")):
        p = result[key]
        print(f"\n{title} ({p['test_rows']} posts)")
        print(f"  {'':12}{'track acc':>10}{'area acc':>10}{'area F1':>10}{'in scope':>10}")
        for name, s in list(p["models"].items()) + list(p["baselines"].items()):
            print(f"  {name:12}{s['track_accuracy']:>10.3f}{s['area_accuracy']:>10.3f}{s['area_macro_f1']:>10.3f}"
                  f"{s['in_scope_recall']:>10.3f}")
        for name in (SHIPPED, "previous"):
            if name in p["confusion"]:
                rows = "; ".join(f"{t}→" + ",".join(f"{k[:3]}:{v}" for k, v in row.items() if v)
                                 for t, row in p["confusion"][name].items())
                print(f"  track confusion ({name}, true→predicted): {rows}")
    o = result["out_of_scope"]
    print(f"\nout of scope: {o['off_topic']} real off-topic posts of {', '.join(o['blogs'])} (leave-one-blog-out); "
          f"{o['on_topic_same_blogs']} on-topic posts of the same blogs")
    print(f"  {'':12}{'left out':>10}{'on-topic kept':>15}{'balanced':>10}")
    for name, s in list(o["models"].items()) + list(o["baselines"].items()):
        print(f"  {name:12}{s['out_of_scope_recall']:>10.3f}{s['on_topic_kept']:>15.3f}{s['balanced_accuracy']:>10.3f}")
    for pool in result["pools"]:
        print(f"\nselection on a real pool: {pool['pool']}: {pool['picks']} curator picks among {pool['posts']} posts "
              f"({pool['picks_in_scope']} of the picks in scope)")
        for name in ("blogsift", "recency", "random"):
            print(f"  {name:10}" + "  ".join(f"{k} {v:.3f}" for k, v in pool[name].items()))
        print("  within a month (how the curator picks): " + (
            f"AUC {pool['same_month_auc']:.3f} over {pool['same_month_pairs']} pick/non-pick pairs"
            if pool["same_month_pairs"] else "no month has both a pick and a non-pick: not measurable"))
        learning = pool["learning_from_decisions"]
        print("  learning from decisions: " + (learning if isinstance(learning, str) else
              f"within-month AUC {learning.get('auc_before', 0):.3f} → {learning.get('auc_after', 0):.3f} over "
              f"{learning.get('pairs', 0)} pairs of {', '.join(learning['months_ranked']) or 'no month'}"))
    for f in failures:
        print("GATE FAILED:", f)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--pool", type=Path, action="append", help="a pool in the pytorch-window-listing format")
    ap.add_argument("--no-embeddings", action="store_true", help="skip the sentence-encoder variant")
    ap.add_argument("--no-gate", action="store_true", help="print the figures, do not enforce the floors")
    args = ap.parse_args()
    if not labelled_data.DATA.exists():
        print(f"curation benchmark: needs the shared labelled data at {labelled_data.DATA}", file=sys.stderr)
        return 2
    result = evaluate(args.folds, args.pool, embeddings=not args.no_embeddings)
    pinned = json.loads(BASELINE.read_text()) if BASELINE.exists() and not args.no_gate else {}
    failures = check_floors(result, pinned.get("gates", {}))
    failures += [f"{metric} = {_get(result, metric):.4f} < required {need:.4f}"
                 for metric, need in pinned.get("requirements", {}).items() if _get(result, metric) < need]
    if args.json:
        print(json.dumps({**result, "gate_failures": failures}, ensure_ascii=False))
    else:
        _print(result, failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
