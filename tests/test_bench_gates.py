"""The curation gates cannot be passed by a floor that a trivial baseline of the same run would meet,
and they catch a model that falls below its floor. (The figures themselves need ../shared: make eval.)"""

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
    assert gates and all(g["above"] and all(".baselines." in b for b in g["above"]) for g in gates.values())
