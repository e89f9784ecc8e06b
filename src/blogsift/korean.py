"""Korean particles after any word: 은/는, 이/가, 을/를, 과/와, 으로/로 (and 이나/나, 이라/라, 이며/며).

The particle depends on the final sound of the word as read aloud: a Hangul syllable by its final
consonant (받침); a number by its Korean reading (3 → 삼, 10 → 십, 1,000 → 천); a Latin acronym by the
names of its letters (LLM → 엘엘엠, SDK → 에스디케이); another Latin word by the sound its spelling ends
in (Python → 파이썬, model → 모델, server → 서버). 으로/로 takes 로 after a vowel and after ㄹ. When the
end cannot be read (a symbol, an emoji), the particle-free form that covers both is written: 은(는).

    >>> attach("Triton Inference Server", "을")
    'Triton Inference Server를'
    >>> attach("한빛마켓", "은")
    '한빛마켓은'
"""

from __future__ import annotations

import re

__all__ = ["attach", "particle", "final_sound", "PAIRS", "HANGUL_MIN_RATIO", "hangul_ratio"]

#: each particle: (after a final consonant, after a vowel)
PAIRS = {
    "은": ("은", "는"), "는": ("은", "는"), "이": ("이", "가"), "가": ("이", "가"), "을": ("을", "를"), "를": ("을", "를"),
    "과": ("과", "와"), "와": ("과", "와"), "으로": ("으로", "로"), "로": ("으로", "로"), "이나": ("이나", "나"),
    "나": ("이나", "나"), "이라": ("이라", "라"), "라": ("이라", "라"), "이며": ("이며", "며"), "며": ("이며", "며"),
    "이고": ("이고", "고"), "고": ("이고", "고"), "아": ("아", "야"), "야": ("아", "야"),
}
for _key in list(PAIRS):
    PAIRS[f"{PAIRS[_key][0]}/{PAIRS[_key][1]}"] = PAIRS[_key]

NONE, RIEUL, OTHER = "", "ㄹ", "C"   # no final consonant, final ㄹ, another final consonant

#: final sound of each letter's Korean name: L 엘, M 엠, N 엔, R 알; the others end in a vowel
_LETTER = {"l": RIEUL, "m": OTHER, "n": OTHER, "r": RIEUL}
#: Latin names read as words, not letter by letter, whose end the spelling rules below get wrong
_WORDS = {
    "clip": OTHER, "laion": OTHER, "gan": OTHER, "ram": OTHER, "sam": OTHER, "nerf": NONE, "bert": NONE,
    "onnx": NONE, "yolo": NONE, "yolox": NONE, "jax": NONE, "glue": NONE, "squad": NONE, "lora": NONE,
    "qlora": NONE, "rag": NONE, "moe": NONE, "mlops": NONE, "devops": NONE, "aws": NONE, "nasa": NONE,
    "bart": NONE, "kobart": NONE, "scann": OTHER, "faiss": NONE, "lean": OTHER, "spark": NONE, "ray": NONE,
    "redis": NONE, "feast": NONE, "flink": NONE, "kafka": NONE, "bedrock": OTHER, "kendra": NONE,
    "github": NONE, "hub": NONE, "vit": NONE, "nllb": NONE, "vmaf": NONE, "google": RIEUL, "apple": RIEUL,
    "kaggle": RIEUL, "table": RIEUL, "simple": RIEUL, "style": RIEUL, "scale": RIEUL, "mobile": RIEUL,
    "ml": RIEUL, "dl": RIEUL, "api": NONE, "ui": NONE, "ai": NONE, "cli": NONE, "sql": RIEUL, "html": RIEUL,
    "xml": RIEUL, "yaml": RIEUL, "toml": RIEUL, "json": OTHER, "pdf": NONE, "png": NONE,
}
#: Korean readings of the last digit, and of a number ending in zeros (by its largest unit)
_DIGIT = {"0": OTHER, "1": RIEUL, "2": NONE, "3": OTHER, "4": NONE, "5": NONE, "6": OTHER, "7": RIEUL, "8": RIEUL,
          "9": NONE}
_ZEROS = {1: OTHER, 2: OTHER, 3: OTHER, 4: OTHER}   # 십, 백, 천, 만 — then 십만, 백만, 천만, 억 ...
_UNIT = {"%": NONE, "x": NONE, "×": NONE, "ms": NONE, "s": NONE, "gb": NONE, "mb": NONE, "tb": NONE, "kb": NONE,
         "b": NONE, "k": NONE, "m": NONE, "km": NONE, "kg": NONE, "$": NONE, "℃": NONE, "°c": NONE}
_TRAILING = "\"'`*_)]}>»”’.,;:!?… \t"


def _hangul_final(ch: str) -> str:
    jong = (ord(ch) - 0xAC00) % 28
    return NONE if jong == 0 else RIEUL if jong == 8 else OTHER


def _number_final(digits: str) -> str:
    digits = digits.replace(",", "")
    if "." in digits:          # 1.5 → 일 점 오: the last digit is read alone
        return _DIGIT[digits[-1]]
    stripped = digits.rstrip("0")
    if not stripped:           # 0 → 영
        return OTHER
    zeros = len(digits) - len(stripped)
    if zeros == 0:
        return _DIGIT[digits[-1]]
    # 10 십, 100 백, 1000 천, 10000 만, 100000 십만, 10^8 억: every unit ends in a consonant
    return _ZEROS.get(min(zeros, 4), OTHER)


def _latin_final(word: str) -> str:
    low = word.lower()
    if low in _WORDS:
        return _WORDS[low]
    # a trailing run of capitals after lowercase (vLLM, LightGBM, PaddleOCR) is read letter by letter
    m = re.search(r"(?<=[a-z])([A-Z]{2,})$", word)
    if m and m.group(1).lower() not in _WORDS:
        return _LETTER.get(m.group(1)[-1].lower(), NONE)
    if word.isupper() and len(word) <= 5:
        return _LETTER.get(low[-1], NONE)
    if low.endswith("ng"):
        return OTHER                                    # -ing 잉
    if low.endswith(("m", "n", "me", "ne")):
        return OTHER                                    # system 시스템, Python 파이썬, Runtime 런타임, engine 엔진
    if low.endswith(("l", "le", "ll")):
        return RIEUL                                    # model 모델, Google 구글
    if low.endswith(("ck", "ook", "ok", "ic")):
        return OTHER                                    # stack 스택, notebook 노트북, logic 로직
    if re.search(r"[aeiou]p$", low):
        return OTHER                                    # map 맵, app 앱
    return NONE                                         # server 서버, data 데이터, PyTorch 파이토치


def final_sound(word: str) -> str | None:
    """``""`` (vowel), ``"ㄹ"`` or ``"C"`` (another consonant) for the end of ``word`` as read aloud;
    None when it cannot be read."""
    text = re.sub(r"\]\([^)]*\)$", "]", word.strip())       # a Markdown link: its text is what is read
    text = text.rstrip(_TRAILING)
    if not text:
        return None
    low = text.lower()
    for unit, sound in _UNIT.items():                         # 25 ms, 3.2%, 2.1x
        if low.endswith(unit) and re.search(r"\d\s?" + re.escape(unit) + r"$", low):
            return sound
    last = text[-1]
    if "\uac00" <= last <= "\ud7a3":
        return _hangul_final(last)
    if last.isdigit():
        m = re.search(r"\d[\d,]*(?:\.\d+)?$", text)
        return _number_final(m.group(0)) if m else _DIGIT[last]
    if last.isascii() and last.isalpha():
        m = re.search(r"[A-Za-z]+$", text)
        return _latin_final(m.group(0))
    return None


def particle(word: str, which: str) -> str:
    """The form of the particle ``which`` (``"은"``, ``"을/를"``, ``"로"``, ...) that follows ``word``."""
    consonant, vowel = PAIRS[which]
    sound = final_sound(word)
    if sound is None:
        # unreadable end: the form that covers both, as Korean writing does ("을(를)", "(으)로")
        return "(으)로" if consonant == "으로" else f"{consonant}({vowel})"
    if consonant == "으로":
        return "로" if sound in (NONE, RIEUL) else "으로"
    return vowel if sound == NONE else consonant


def attach(word: str, which: str) -> str:
    """``word`` followed by the right form of the particle ``which``."""
    return f"{word}{particle(word, which)}"


#: share of Hangul among the letters from which a title or text is Korean. Mixed titles ("LLM 서빙
#: 최적화 with vLLM") sit at 0.4-0.8; English text quoting a Korean name stays under 0.05. Language
#: detectors trained on whole sentences misjudge such short mixed strings, a ratio does not.
HANGUL_MIN_RATIO = 0.3

#: a letter as ``str.isalpha`` sees it (word characters that are neither digits nor underscores)
_ALPHA = re.compile(r"[^\W\d_]")
_HANGUL_LETTER = re.compile("[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")


def hangul_ratio(text: str) -> tuple[float, int]:
    """(share of Hangul among letters, number of letters) of ``text``."""
    letters = sum(1 for _ in _ALPHA.finditer(text))
    hangul = sum(1 for _ in _HANGUL_LETTER.finditer(text))
    return (hangul / letters if letters else 0.0), letters
