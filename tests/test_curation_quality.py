"""The quality gate: classification on the shared labelled data stays above the pinned floors, and
above the baselines scored in the same run."""

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


def test_classification_stays_above_floors_and_baselines(shared_data):
    bench = _bench()
    result = bench.evaluate(folds=5)
    floors = json.loads((BENCH / "baseline.json").read_text())["floors"]
    assert bench.check_floors(result, floors) == []
    assert result["model"]["area_accuracy"] > result["keyword"]["area_accuracy"] > result["majority"]["area_accuracy"]
    assert result["model"]["area_macro_f1"] > result["majority"]["area_macro_f1"]


def test_ranker_moves_toward_the_persons_choices():
    result = _bench().ranker_learning()
    assert result["learned_model"].startswith("ranker:learned")
    assert result["agreement_after"] > result["agreement_before"]
