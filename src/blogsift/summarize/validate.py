"""Checking a summary against its post: shape, house notation, and faithfulness.

Every number and every Latin-script name in a bullet must appear in the post; a bullet may not carry
headings, HTML or non-http(s) links. An LLM reply that fails is retried once, then replaced by the
extractive summary, with the reason recorded.
"""

from __future__ import annotations

import re

__all__ = ["check_bullets", "unsupported_tokens"]

MAX_BULLETS = 7
MAX_BULLET_CHARS = 400
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
#: a Latin-script name: capitalised, CamelCase, all caps, or with digits (GPT-4, ONNX, vLLM, p99)
_NAME = re.compile(r"\b(?:[A-Z][A-Za-z0-9]*[A-Z0-9][A-Za-z0-9-]*|[a-z]+[A-Z][A-Za-z0-9]*|[A-Z][a-z]{2,}(?:[A-Z][a-z]+)+)\b")
_LINK = re.compile(r"\]\(([^)]*)\)")


def _normal(s: str) -> str:
    return re.sub(r"\s+", " ", s.replace(",", "")).lower()


def unsupported_tokens(bullet: str, post_text: str) -> list[str]:
    """Numbers and Latin-script names in ``bullet`` that the post does not contain."""
    body = _LINK.sub("]", bullet)           # link targets are checked separately
    text = _normal(post_text)
    missing = []
    for n in _NUMBER.findall(body):
        if n.replace(",", "") not in text:
            missing.append(n)
    for name in _NAME.findall(body):
        if name.lower() not in text:
            missing.append(name)
    return missing


def check_bullets(bullets: object, post_text: str, allowed_links: set[str] | None = None) -> list[str]:
    """Problems with a summary, as sentences a model can act on; empty when it is acceptable."""
    if not isinstance(bullets, list) or not all(isinstance(b, str) for b in bullets):
        return ["the reply must be a JSON object {\"bullets\": [\"...\", ...]} with a list of strings"]
    problems = []
    if not 1 <= len(bullets) <= MAX_BULLETS:
        problems.append(f"write 1 to {MAX_BULLETS} bullets, not {len(bullets)}")
    for i, b in enumerate(bullets, 1):
        if len(b) > MAX_BULLET_CHARS:
            problems.append(f"bullet {i} is too long ({len(b)} characters)")
        if re.match(r"\s*(#|>|\* |- )", b) or "\n" in b:
            problems.append(f"bullet {i} must be one line of text, without Markdown structure")
        if re.search(r"<[A-Za-z!/]", b):
            problems.append(f"bullet {i} contains HTML")
        for target in _LINK.findall(b):
            if not re.match(r"https?://", target) or (allowed_links is not None and target not in allowed_links):
                problems.append(f"bullet {i} links to {target!r}, which is not a link of the post")
        missing = unsupported_tokens(b, post_text)
        if missing:
            problems.append(f"bullet {i} states {', '.join(missing[:5])}, which the post does not say")
    return problems
