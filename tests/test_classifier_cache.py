"""The classifier is fitted once and reused: stored under the hash of its training data, refitted only
when that data changes; a damaged stored model is replaced, not trusted."""

from __future__ import annotations

import pytest

from blogsift import classify
from blogsift.classify import Classifier, Example


@pytest.fixture
def fits(tmp_path, monkeypatch):
    monkeypatch.setenv("BLOGSIFT_MODEL_CACHE", str(tmp_path / "models"))
    classify._cached.cache_clear()
    count = {"n": 0}
    real_init = Classifier.__init__

    def counting_init(self, *args, **kwargs):
        count["n"] += 1
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(Classifier, "__init__", counting_init)
    yield count
    classify._cached.cache_clear()


def test_fitted_once_then_loaded(fits, tmp_path):
    first = Classifier.default()
    assert fits["n"] == 1 and len(list((tmp_path / "models").glob("classifier-*.joblib"))) == 1
    classify._cached.cache_clear()                    # a new process
    second = Classifier.default()
    assert fits["n"] == 1 and second.model == first.model
    assert second.classify("Scaling recommendation models").area == first.classify("Scaling recommendation models").area


def test_new_training_data_means_a_new_fit(fits, tmp_path):
    Classifier.default()
    Classifier.default(extra_examples=[Example(title="사내 체육대회 후기", in_scope=False)])
    assert fits["n"] == 2 and len(list((tmp_path / "models").glob("classifier-*.joblib"))) == 2


def test_a_damaged_model_file_is_refitted(fits, tmp_path):
    Classifier.default()
    for path in (tmp_path / "models").glob("classifier-*.joblib"):
        path.write_bytes(b"not a model")
    classify._cached.cache_clear()
    clf = Classifier.default()
    assert fits["n"] == 2 and clf.classify("We are hiring frontend engineers").in_scope is False
