"""Korean particles after any word, by its final sound as read aloud: a table of cases."""

from __future__ import annotations

import pytest

from blogsift.korean import attach, final_sound, particle

CASES = [
    # Hangul: final consonant, none, ㄹ
    ("한빛마켓", "은", "한빛마켓은"), ("한빛마켓", "이", "한빛마켓이"), ("스캐터랩", "를", "스캐터랩을"),
    ("쿠팡", "는", "쿠팡은"), ("컬리", "은", "컬리는"), ("쏘카", "이/가", "쏘카가"), ("네이버", "을/를", "네이버를"),
    ("데이터", "과", "데이터와"), ("모델", "와", "모델과"), ("서울", "으로", "서울로"), ("부산", "로", "부산으로"),
    ("파이프라인", "으로/로", "파이프라인으로"), ("검색", "이나", "검색이나"), ("추천", "이며", "추천이며"),
    # Latin words by the sound their spelling ends in
    ("Triton Inference Server", "을", "Triton Inference Server를"), ("PyTorch", "은", "PyTorch는"),
    ("Python", "을", "Python을"), ("model", "로", "model로"), ("Google", "이", "Google이"),
    ("Kubernetes", "과", "Kubernetes와"), ("ONNX Runtime", "으로", "ONNX Runtime으로"), ("Spring", "이", "Spring이"),
    ("Apache Spark", "을", "Apache Spark를"), ("Amazon Bedrock", "으로", "Amazon Bedrock으로"),
    ("notebook", "을", "notebook을"), ("CLIP", "과", "CLIP과"), ("Faiss", "과", "Faiss와"),
    # acronyms read letter by letter: L 엘, M 엠, N 엔, R 알; others end in a vowel
    ("LLM", "을", "LLM을"), ("vLLM", "으로", "vLLM으로"), ("GPU", "을", "GPU를"), ("SDK", "는", "SDK는"),
    ("CNN", "이", "CNN이"), ("PaddleOCR", "로", "PaddleOCR로"), ("LightGBM", "과", "LightGBM과"),
    ("AWS", "가", "AWS가"), ("ML", "으로", "ML로"), ("TensorRT", "를", "TensorRT를"), ("BERT", "을", "BERT를"),
    # numbers by their Korean reading
    ("1", "이", "1이"), ("2", "이", "2가"), ("3", "으로", "3으로"), ("7", "로", "7로"), ("10", "이", "10이"),
    ("1,000", "을", "1,000을"), ("2024", "는", "2024는"), ("1.5", "와", "1.5와"), ("0", "을", "0을"),
    ("AWS Inferentia2", "로", "AWS Inferentia2로"), ("GPT-4", "가", "GPT-4가"), ("Llama 3", "을", "Llama 3을"),
    # units and trailing marks
    ("25 ms", "로", "25 ms로"), ("11%", "가", "11%가"), ("2.1x", "는", "2.1x는"), ("(Faiss)", "을", "(Faiss)를"),
    ("[TextAttack](https://github.com/QData/TextAttack)", "으로", "[TextAttack](https://github.com/QData/TextAttack)으로"),
    ("**vLLM**", "을", "**vLLM**을"),
    # an end that cannot be read: the form that covers both
    ("🚀", "을", "🚀을(를)"), ("🚀", "으로", "🚀(으)로"), ("", "은", "은(는)"),
]


@pytest.mark.parametrize("word,which,expected", CASES)
def test_particle_follows_the_final_sound(word, which, expected):
    assert attach(word, which) == expected


def test_every_pair_is_symmetric():
    for a, b in (("은", "는"), ("이", "가"), ("을", "를"), ("과", "와"), ("으로", "로")):
        for word in ("한빛마켓", "컬리", "LLM", "GPU", "서울"):
            assert particle(word, a) == particle(word, b) == particle(word, f"{a}/{b}")


def test_final_sound_names_the_kind_of_end():
    assert final_sound("모델") == "ㄹ" and final_sound("데이터") == "" and final_sound("검색") == "C"
    assert final_sound("→") is None
