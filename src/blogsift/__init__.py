"""blogsift: curates the important AI & ML blog posts into a house-format digest.

Library first; the ``blogsift`` command is a thin layer over this API::

    from blogsift import Store, load_settings, Pipeline
    settings = load_settings()
    store = Store(settings.db_url())
    report = Pipeline(store, settings).run(since=..., until=...)
"""

from .config import Settings, load_settings
from .errors import (
    AddressRefused,
    BlogsiftError,
    BotProtection,
    BudgetExhausted,
    ConfigError,
    DigestFormatError,
    ExtractError,
    FeedError,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    ResponseTooLarge,
    RobotsDisallowed,
    SourceError,
    StoreError,
    SummarizerError,
    TooManyRedirects,
)
from .models import AREAS, TRACKS, Classification, Decision, Enrichment, FeedItem, Post, Score, Source, Summary
from .pipeline import Pipeline, RunReport
from .store import Store

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "Settings", "load_settings", "Store", "Pipeline", "RunReport",
    "Source", "FeedItem", "Post", "Enrichment", "Classification", "Score", "Summary", "Decision",
    "TRACKS", "AREAS",
    "BlogsiftError", "ConfigError", "StoreError", "SourceError", "FetchError", "AddressRefused",
    "RobotsDisallowed", "ResponseTooLarge", "TooManyRedirects", "BotProtection", "HTTPStatusError",
    "FetchTimeout", "FeedError", "ExtractError", "DigestFormatError", "SummarizerError", "BudgetExhausted",
]
