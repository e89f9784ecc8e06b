"""The curation gates cannot be passed by a floor that a trivial baseline of the same run would meet,
and they catch a model that falls below its floor. (The figures themselves come from `make eval`.)"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_curation", BENCH / "curation.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RESULT = {"p": {"models": {"m": {"acc": 0.9}}, "baselines": {"majority": {"acc": 0.6}, "keyword": {"acc": 0.8}}}}
ABOVE = ["p.baselines.majority.acc", "p.baselines.keyword.acc"]


def test_a_floor_at_or_below_the_best_baseline_fails_the_gate():
    failures = _bench().check_floors(RESULT, {"p.models.m.acc": {"floor": 0.8, "above": ABOVE}})
    assert len(failures) == 1 and "not above the best baseline (p.baselines.keyword.acc = 0.800)" in failures[0]


def test_a_model_below_its_floor_fails_and_one_above_passes():
    bench = _bench()
    assert bench.check_floors(RESULT, {"p.models.m.acc": {"floor": 0.85, "above": ABOVE}}) == []
    failures = bench.check_floors(RESULT, {"p.models.m.acc": {"floor": 0.95, "above": ABOVE}})
    assert failures == ["p.models.m.acc = 0.9000 < floor 0.9500"]


def test_every_pinned_gate_names_the_baselines_it_must_beat():
    gates = json.loads((BENCH / "baseline.json").read_text())["gates"]
    assert gates and all(sum(".baselines." in b for b in g["above"]) >= 2 for g in gates.values())
    assert all(".baselines." in b or ".models.previous." in b for g in gates.values() for b in g["above"])


def test_a_figure_missing_from_the_run_is_left_out_of_the_comparison():
    gate = {"p.models.m.acc": {"floor": 0.85, "above": ABOVE + ["p.models.previous.acc"]}}
    assert _bench().check_floors(RESULT, gate) == []


def test_a_pool_in_the_listing_format_is_scored_and_learning_is_measured_across_months(tmp_path):
    bench = _bench()
    from blogsift.classify import Classifier, seed_examples
    from blogsift.sources import registry_resolver

    rows = [("2026-01-05", "Serving LLMs on GPUs with vLLM at 10x throughput", True),
            ("2026-01-20", "Our holiday party", False),
            ("2026-01-22", "Quarterly community update", False),
            ("2026-02-03", "Training recommendation models with PyTorch FSDP", True),
            ("2026-02-10", "Welcome to our new office", False),
            ("2026-02-25", "Release notes 1.2.3", False)]
    pool = tmp_path / "listing.jsonl"
    pool.write_text("\n".join(json.dumps({"url": f"https://pytorch.org/blog/p{i}/", "title": t, "date": d,
                                          "curator_pick": p}) for i, (d, t, p) in enumerate(rows)) + "\n")
    result = bench.pool_selection(pool, Classifier(seed_examples()), registry_resolver().resolve)
    assert (result["posts"], result["picks"], result["same_month_pairs"]) == (6, 2, 4)
    assert result["random"]["auc"] == 0.5 and result["recency"]["recall@2"] == 0.0  # the two newest are passes
    learning = result["learning_from_decisions"]
    assert learning["months_ranked"] == ["2026-01", "2026-02"] and learning["pairs"] == 4
    assert 0.0 <= learning["auc_before"] <= 1.0 and 0.0 <= learning["auc_after"] <= 1.0
