"""Summaries in the house style.

``make_summarizer(settings, store)`` returns the configured summarizer: the offline extractive one by
default, the LLM one (any OpenAI-compatible endpoint) when ``summary.llm`` is on. Every summary says who
wrote it (``Summary.author``), and a person's summary is never replaced (the store refuses).
"""

from __future__ import annotations

from .extractive import ExtractiveSummarizer, split_sentences
from .llm import LLMSummarizer
from .validate import check_bullets

__all__ = ["ExtractiveSummarizer", "LLMSummarizer", "make_summarizer", "check_bullets", "split_sentences"]


def make_summarizer(settings, store=None):
    if settings is not None and settings.summary.llm:
        return LLMSummarizer(settings, store)
    return ExtractiveSummarizer(max_bullets=settings.summary.max_bullets if settings else 4)
