"""Summaries in the house style: an offline extractive default (no network, no model download).

``make_summarizer(settings, store)`` returns the configured summarizer; every summary says who
wrote it (``Summary.author``), and a person's summary is never replaced (the store refuses).
"""

from __future__ import annotations

from .extractive import ExtractiveSummarizer

__all__ = ["ExtractiveSummarizer", "make_summarizer"]


def make_summarizer(settings, store=None):
    return ExtractiveSummarizer(max_bullets=settings.summary.max_bullets if settings else 4)
