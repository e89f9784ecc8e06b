"""The house style of entry titles: title case, the house abbreviations, emphasis on names."""

from __future__ import annotations

import re

from .safety import escape_title_text

__all__ = ["house_title", "ABBREVIATIONS", "KNOWN_PRODUCTS"]

#: longest first, so "Large Language Models" wins over "Language Models"
ABBREVIATIONS = [
    (r"Large Language Models", "LLMs"), (r"Large Language Model", "LLM"),
    (r"Language Models", "LMs"), (r"Language Model", "LM"),
    (r"Neural Networks", "NNs"), (r"Neural Network", "NN"),
    (r"Machine Learning", "ML"), (r"Deep Learning", "DL"),
    (r"Mixture[- ]of[- ]Experts", "MoE"),
]

#: products, services, libraries and tools shown in bold
KNOWN_PRODUCTS = [
    "Amazon SageMaker Clarify", "Amazon SageMaker", "SageMaker", "Amazon Bedrock", "AWS Inferentia", "AWS Trainium",
    "Inferentia", "Trainium", "PyTorch 2", "PyTorch", "TensorFlow", "JAX", "Hugging Face", "Transformers",
    "Apache Iceberg", "Apache Beam", "Apache Spark", "Kubeflow", "MLflow", "Ray", "ONNX Runtime", "Triton",
    "vLLM", "DeepSpeed", "Kubernetes", "Airflow", "Feast", "Renate", "Fortuna",
]

_SMALL = {"a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "of", "on", "or", "the",
          "to", "vs", "vs.", "via", "with"}
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _title_case(text: str) -> str:
    words = text.split(" ")
    out = []
    for i, w in enumerate(words):
        if not w or _HANGUL.search(w) or any(c.isupper() for c in w[1:]) or any(c.isdigit() for c in w):
            out.append(w)  # Korean, acronyms, CamelCase and versions stay as written
        elif i > 0 and w.lower() in _SMALL and not out[-1].endswith(":"):
            out.append(w.lower())
        else:
            out.append("-".join(p[:1].upper() + p[1:] for p in w.split("-")))
    return " ".join(out)


def house_title(raw_title: str, names: list[str] | tuple[str, ...] = ()) -> str:
    """``"Automatically retrain neural networks with Renate"`` → ``Automatically Retrain NNs with **Renate**``.

    The raw title is web text: it is escaped first, so only the emphasis added here is Markdown.
    """
    title = escape_title_text(raw_title)
    if not _HANGUL.search(title):
        title = _title_case(title)
    for pattern, short in ABBREVIATIONS:
        title = re.sub(rf"\b{pattern}\b", short, title, flags=re.I)
    used: list[tuple[int, int]] = []

    def mark(pattern: str, left: str, right: str) -> None:
        nonlocal title
        m = re.search(pattern, title)
        if not m or any(not (m.end() <= a or m.start() >= b) for a, b in used):
            return
        title = title[:m.start()] + left + m.group(0) + right + title[m.end():]
        shift = len(left) + len(right)
        used[:] = [(a + (shift if a >= m.end() else 0), b + (shift if b >= m.end() else 0)) for a, b in used]
        used.append((m.start(), m.end() + shift))

    for name in sorted({*KNOWN_PRODUCTS, *names}, key=len, reverse=True):
        mark(rf"(?<![\w*]){re.escape(name)}(?![\w*])", "**", "**")
    # a coined model/method name: "Atlas: ..." before a colon, or an acronym in parentheses "(CALM)"
    m = re.match(r"^([A-Z][\w-]*[A-Z0-9][\w-]*|[A-Z][a-z]+):", title)
    if m and "**" not in m.group(1):
        mark(rf"^{re.escape(m.group(1))}(?=:)", "*", "*")
    m = re.search(r"\(([A-Z][A-Za-z0-9-]*[A-Z][A-Za-z0-9-]*)\)", title)
    if m:
        mark(rf"(?<=\(){re.escape(m.group(1))}(?=\))", "*", "*")
    return title
