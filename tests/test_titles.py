"""House titles: title case, abbreviations, bold products and italic model names, measured on real titles and the curator's title_md (tests/data/house_digest.jsonl)."""

from __future__ import annotations

import re

import pytest

from blogsift.digest import house_title
from blogsift.digest.titles import title_case

from test_digest_roundtrip import seed_rows

#: floors for the exact-match rates on the real titles (title → title_md); measured 43/43 and 41/43
EMPHASIS_FLOOR = 0.95
ABBREVIATION_FLOOR = 0.9


def _emphasis(title_md: str) -> list[tuple[str, str]]:
    return re.findall(r"(\*\*|\*)(.+?)\1", title_md)


def _plain(title_md: str) -> str:
    return title_md.replace("*", "")


def test_seed_dev_emphasis_and_abbreviation_rates():
    rows = seed_rows()
    got = {r["id"]: house_title(r["title"]) for r in rows}
    emphasis = sum(_emphasis(got[r["id"]]) == _emphasis(r["title_md"]) for r in rows) / len(rows)
    abbreviation = sum(_plain(got[r["id"]]) == _plain(r["title_md"]) for r in rows) / len(rows)
    exact = sum(got[r["id"]] == r["title_md"] for r in rows) / len(rows)
    print(f"seed_dev titles: emphasis {emphasis:.3f}, abbreviation/text {abbreviation:.3f}, exact {exact:.3f}")
    assert emphasis >= EMPHASIS_FLOOR
    assert abbreviation >= ABBREVIATION_FLOOR


@pytest.mark.parametrize("raw, expected", [
    ("Automatically retrain neural networks with Renate", "Automatically Retrain NNs with **Renate**"),
    ("Atlas: few-shot learning with retrieval augmented language models",
     "*Atlas*: Few-Shot Learning with Retrieval Augmented LMs"),
    ("Accelerated Stable Diffusion with PyTorch 2", "Accelerated *Stable Diffusion* with **PyTorch 2**"),
    ("Scaling large language models with mixture-of-experts", "Scaling LLMs with MoE"),
    ("A guide to deep learning and machine learning", "A Guide to DL and ML"),
    ("Introducing Fortuna: A library for uncertainty quantification",
     "Introducing **Fortuna**: A Library for Uncertainty Quantification"),
    ("Apache Beam으로 ML 데이터 파이프라인 구축하기", "Apache Beam으로 ML 데이터 파이프라인 구축하기"),
    ("Using Amazon SageMaker Clarify on Apache Iceberg tables",
     "Using **Amazon SageMaker Clarify** on **Apache Iceberg** Tables"),
    ("Why we moved (NLP) models", "Why We Moved (NLP) Models"),
    ("Our new tracker", "Our New Tracker"),
])
def test_house_titles(raw, expected):
    assert house_title(raw) == expected


def test_names_passed_in_are_bold():
    assert house_title("Faster search with Quokka", names=["Quokka"]) == "Faster Search with **Quokka**"
    assert house_title("Faster search with Quokka", models=["Quokka"]) == "Faster Search with *Quokka*"


def test_title_case_keeps_acronyms_and_versions():
    assert title_case("scaling vLLM on GPUs for the win") == "Scaling vLLM on GPUs for the Win"
    assert title_case("Choosing the Right LM For Your NLP Use Case") == "Choosing the Right LM For Your NLP Use Case"
