"""The one exception tree of blogsift.

Every error carries the context a person needs to act on it::

    BlogsiftError
    ├── ConfigError              bad settings file or value            (path, key)
    ├── StoreError               database cannot be opened / migrated  (url)
    │   └── RunLocked            another run holds the store's run lock (holder, since)
    ├── SourceError              unknown source, bad OPML               (source)
    ├── FetchError               anything that stops one URL            (url, source)
    │   ├── AddressRefused       private / loopback / link-local target not allowed
    │   ├── RobotsDisallowed     robots.txt forbids the URL
    │   ├── ResponseTooLarge     body exceeds the size cap
    │   ├── TooManyRedirects     redirect chain too long or looping
    │   ├── BotProtection        403 / challenge page from a bot wall
    │   ├── HTTPStatusError      4xx / 5xx after retries                 (status)
    │   └── FetchTimeout         connect or read timeout after retries
    ├── FeedError                feed cannot be parsed at all            (url, source)
    ├── ExtractError             page is not an article                  (url)
    ├── DigestFormatError        digest cannot be parsed / reproduced    (path, line)
    ├── DigestChanged            the digest file kept changing while being published (path)
    └── SummarizerError          LLM endpoint failed / budget exhausted  (url)
        └── BudgetExhausted
"""

from __future__ import annotations

__all__ = [
    "BlogsiftError",
    "ConfigError",
    "StoreError",
    "RunLocked",
    "SourceError",
    "FetchError",
    "AddressRefused",
    "RobotsDisallowed",
    "ResponseTooLarge",
    "TooManyRedirects",
    "BotProtection",
    "HTTPStatusError",
    "FetchTimeout",
    "FeedError",
    "ExtractError",
    "DigestFormatError",
    "DigestChanged",
    "SummarizerError",
    "BudgetExhausted",
    "InputError",
]


class BlogsiftError(Exception):
    """Base of every error blogsift raises on purpose."""


class ConfigError(BlogsiftError):
    def __init__(self, message: str, *, path: str | None = None, key: str | None = None):
        super().__init__(message)
        self.path = path
        self.key = key


class StoreError(BlogsiftError):
    def __init__(self, message: str, *, url: str | None = None):
        super().__init__(message)
        self.url = url


class RunLocked(StoreError):
    """Another run holds the store: who (``holder``) and since when (``since``)."""

    def __init__(self, message: str, *, url: str | None = None, holder: str = "", since=None):
        super().__init__(message, url=url)
        self.holder = holder
        self.since = since


class SourceError(BlogsiftError):
    def __init__(self, message: str, *, source: str | None = None):
        super().__init__(message)
        self.source = source


class FetchError(BlogsiftError):
    def __init__(self, message: str, *, url: str | None = None, source: str | None = None):
        super().__init__(message)
        self.url = url
        self.source = source

    def __str__(self) -> str:  # the URL is the first thing a person needs
        base = super().__str__()
        return f"{base} ({self.url})" if self.url and self.url not in base else base


class AddressRefused(FetchError):
    pass


class RobotsDisallowed(FetchError):
    pass


class ResponseTooLarge(FetchError):
    pass


class TooManyRedirects(FetchError):
    pass


class BotProtection(FetchError):
    pass


class HTTPStatusError(FetchError):
    def __init__(self, message: str, *, status: int, url: str | None = None, source: str | None = None):
        super().__init__(message, url=url, source=source)
        self.status = status
        #: the server's Retry-After header, when it sent one with a 429/503
        self.retry_after: str | None = None


class FetchTimeout(FetchError):
    pass


class FeedError(BlogsiftError):
    def __init__(self, message: str, *, url: str | None = None, source: str | None = None):
        super().__init__(message)
        self.url = url
        self.source = source


class ExtractError(BlogsiftError):
    def __init__(self, message: str, *, url: str | None = None):
        super().__init__(message)
        self.url = url


class DigestFormatError(BlogsiftError):
    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 problems: list[tuple[int, str]] | None = None):
        super().__init__(message)
        self.path = path
        self.line = line
        #: every (line number, description) that could not be parsed or reproduced
        self.problems = problems or ([] if line is None else [(line, message)])

    def __str__(self) -> str:
        where = f"{self.path or '<digest>'}"
        if self.problems:
            lines = "\n".join(f"  {where}:{n}: {msg}" for n, msg in self.problems)
            return f"{super().__str__()}\n{lines}"
        return super().__str__()


class DigestChanged(BlogsiftError):
    """The digest file is not the one that was read: it was saved meanwhile."""

    def __init__(self, message: str, *, path: str | None = None):
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path


class SummarizerError(BlogsiftError):
    def __init__(self, message: str, *, url: str | None = None):
        super().__init__(message)
        self.url = url


class BudgetExhausted(SummarizerError):
    pass


class InputError(BlogsiftError):
    """A record of an input file the user gave that cannot be used (the rest of the file still is)."""

    def __init__(self, message: str, *, line: int | None = None):
        super().__init__(message)
        self.line = line
