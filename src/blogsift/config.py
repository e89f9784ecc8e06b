"""Settings: one TOML file, one place, every value with a default and a line of help.

The file (``blogsift.toml`` in the working directory, or the path given by ``--config`` /
``BLOGSIFT_CONFIG``) has one table per section below; unknown keys are an error, so a typo never
passes silently. ``blogsift config`` prints the effective settings with their help. A relative path
given in the file (``store.data_dir``, a SQLite ``store.url``, ``digest.output``, ``registry``) is
relative to the file's folder, not to wherever blogsift is started from.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = ["Settings", "load_settings", "DEFAULT_CONFIG_NAME", "settings_help"]

DEFAULT_CONFIG_NAME = "blogsift.toml"


#: settings that existed and were taken out, with what to do instead (an old file gets this, not
#: "unknown setting")
REMOVED = {
    "curation.taxonomy_tracks": "the tracks and their order are fixed by the house digest format",
    "curation.taxonomy_areas": "the areas and their numbering are fixed by the house digest format",
}


def _f(default: Any, help: str, *, path: bool = False, **kw: Any) -> Any:
    """A setting with its help; ``path``: a relative value from the file is taken from the file's folder."""
    meta = {"help": help, "path": path}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda d=default: type(d)(d), metadata=meta, **kw)
    return field(default=default, metadata=meta, **kw)


@dataclass
class StoreSettings:
    url: str = _f("", "SQLAlchemy URL of the store; empty means sqlite:///<data_dir>/blogsift.db. "
                      "PostgreSQL: postgresql+psycopg://user@host/db", path=True)
    data_dir: str = _f(".", "directory for the default SQLite file and caches", path=True)


@dataclass
class FetchSettings:
    user_agent: str = _f("blogsift/0.1 (+https://github.com/blogsift/blogsift; AI/ML digest curator)",
                         "User-Agent sent with every request")
    connect_timeout: float = _f(10.0, "seconds to wait for a connection")
    read_timeout: float = _f(20.0, "seconds to wait between bytes of a response")
    total_timeout: float = _f(60.0, "seconds a whole response may take (defeats slow-drip servers)")
    max_bytes: int = _f(5_000_000, "largest response body accepted, in bytes (after decompression)")
    max_redirects: int = _f(5, "longest redirect chain followed")
    retries: int = _f(2, "retries on 429/5xx/timeouts, with exponential backoff")
    backoff_base: float = _f(1.0, "first backoff in seconds; doubles each retry; Retry-After wins")
    per_host_concurrency: int = _f(2, "simultaneous requests to one host")
    per_host_delay: float = _f(0.5, "seconds between requests to one host")
    total_concurrency: int = _f(16, "simultaneous requests overall")
    respect_robots: bool = _f(True, "obey robots.txt")
    allow_private_addresses: bool = _f(False, "allow loopback/private/link-local targets (tests, demo)")
    allowed_networks: list = _f([], "CIDR ranges allowed even when private addresses are refused, "
                                    "e.g. [\"10.20.0.0/16\"] for an intranet blog")
    max_posts_per_source: int = _f(50, "newest feed entries looked at per source per run")
    fetch_pages: bool = _f(True, "fetch each post's page; if false, use the feed's content only")
    min_article_chars: int = _f(400, "an extraction shorter than this is a failure; the feed content is used")
    extract_workers: int = _f(0, "processes extracting pages while the fetcher downloads; 0 means one per core")
    extract_timeout: float = _f(20.0, "seconds one page may take to extract; then the feed's content is used")
    extract_max_bytes: int = _f(4_000_000, "largest page extracted, in bytes; a larger one keeps the feed's content")
    extract_memory_mb: int = _f(1024, "address space of an extraction worker, in MB (a runaway parse stops there)")
    gone_after_failures: int = _f(5, "consecutive failures (or one 404/410) before a source is paused")


@dataclass
class CurationSettings:
    use_embeddings: bool = _f(True, "use the bundled multilingual sentence encoder as classifier features")
    min_in_scope_conf: float = _f(0.5, "posts below this in-scope confidence are left out")
    threshold: float = _f(0.40, "minimum score for a post to be selected")
    quota_per_area: int = _f(5, "most posts selected per (track, area) per period")
    quota_total: int = _f(40, "most posts selected per period")
    popularity: bool = _f(False, "fetch popularity signals (Hacker News points, GitHub stars)")
    hn_api_url: str = _f("https://hn.algolia.com/api/v1", "Hacker News search API base URL")
    github_api_url: str = _f("https://api.github.com", "GitHub REST API base URL")
    popularity_cache_days: float = _f(3.0, "how long a fetched popularity signal is reused")


@dataclass
class SummarySettings:
    lang: str = _f("ko", "language of the digest's summaries")
    max_bullets: int = _f(4, "most bullets the extractive summarizer writes")
    llm: bool = _f(False, "summarize with an OpenAI-compatible chat endpoint (else extractive)")
    llm_base_url: str = _f("", "endpoint base URL, e.g. http://127.0.0.1:8000/v1 (env BLOGSIFT_LLM_BASE_URL)")
    llm_model: str = _f("", "model name (env BLOGSIFT_LLM_MODEL)")
    llm_api_key_env: str = _f("BLOGSIFT_LLM_API_KEY", "environment variable holding the API key")
    llm_timeout: float = _f(60.0, "seconds per request")
    llm_retries: int = _f(3, "retries on 429/5xx/timeouts")
    llm_concurrency: int = _f(2, "simultaneous requests")
    llm_budget_tokens: int = _f(200_000, "most tokens spent per run; then extractive")
    llm_price_per_1k_tokens: float = _f(0.0, "cost accounting: price per 1,000 tokens")


@dataclass
class DigestSettings:
    title: str = _f("Summary of Important AI & ML Blog Posts", "level-1 heading of the digest")
    note: str = _f("", "NOTE line of the header; empty means the built-in Korean wording")
    criteria: list = _f([], "criteria bullets of the header; empty means the built-in Korean wording")
    output: str = _f("digest.md", "default path of the Markdown digest", path=True)
    images: bool = _f(False, "save a key figure of each post under images/ beside the digest")
    image_max_bytes: int = _f(3_000_000, "largest figure downloaded, in bytes; a larger one is refused and noted")


@dataclass
class ReviewSettings:
    host: str = _f("127.0.0.1", "address the review app listens on")
    port: int = _f(8765, "port of the review app")
    token_env: str = _f("BLOGSIFT_TOKEN", "environment variable holding the access token "
                                          "(required when listening beyond loopback)")
    author: str = _f("curator", "name recorded with decisions made in the review app")
    public_origin: str = _f("", "the address people open the app at behind a reverse proxy, e.g. "
                                "https://digest.example.com: its host is accepted and forms from it are trusted")
    forwarded_allow_ips: str = _f("", "proxy addresses whose X-Forwarded-Proto/-For are trusted "
                                      "(comma-separated, or * ); serve --forwarded-allow-ips overrides it")


@dataclass
class WatchSettings:
    min_interval_minutes: float = _f(15.0, "shortest interval between two polls of one feed")
    max_interval_hours: float = _f(24.0, "longest interval between two polls of one feed")
    miss_probability: float = _f(1e-6, "accepted chance that more posts appear between two polls than the "
                                       "feed holds, given the pace seen so far (the interval is the longest "
                                       "that keeps to it; see schedule.py)")
    backfill_gaps: bool = _f(True, "when a poll shows the feed no longer reaches back to the previous poll, "
                                   "backfill the gap from the source's sitemaps or paged feed")
    stop_timeout: float = _f(30.0, "seconds a stopping watch or worker waits for polls in progress")


@dataclass
class BackfillSettings:
    max_sitemaps: int = _f(200, "most sitemap documents read per source (an index of 50,000 indexes stops here)")
    max_sitemap_urls: int = _f(200_000, "most URLs of one source taken from its sitemaps")
    max_sitemap_depth: int = _f(4, "deepest nesting of sitemap indexes followed")
    max_sitemap_bytes: int = _f(50_000_000, "largest sitemap accepted, in bytes after decompression "
                                            "(the sitemap protocol's own limit)")
    max_feed_pages: int = _f(100, "most pages of a paged feed (WordPress ?paged=N) or archive read")
    max_posts: int = _f(2000, "most posts fetched by one backfill of one source")
    deadline_s: float = _f(600.0, "seconds one source's discovery may take")


@dataclass
class QueueSettings:
    worker_concurrency: int = _f(8, "jobs one `blogsift worker` process runs at once")
    extract_workers: int = _f(1, "processes extracting pages for one `blogsift worker`; 0 means one per core "
                                 "(a worker is the unit of scale-out: run one per core)")
    scheduler_tick_s: float = _f(30.0, "seconds between two looks for due sources by the scheduler")
    stalled_after_s: float = _f(30.0, "a worker silent (no heartbeat) this long is dead; its jobs are retried")
    job_retries: int = _f(3, "attempts of a failed job before it is given up")
    summarize_new_posts: bool = _f(True, "workers summarize each new post ahead of the run that selects it "
                                         "(with an LLM this spends tokens on posts that may not be selected)")


@dataclass
class Settings:
    store: StoreSettings = field(default_factory=StoreSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    curation: CurationSettings = field(default_factory=CurationSettings)
    summary: SummarySettings = field(default_factory=SummarySettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    review: ReviewSettings = field(default_factory=ReviewSettings)
    watch: WatchSettings = field(default_factory=WatchSettings)
    backfill: BackfillSettings = field(default_factory=BackfillSettings)
    queue: QueueSettings = field(default_factory=QueueSettings)
    registry: str = _f("", "path of a sources registry TOML to use instead of the built-in one", path=True)

    def db_url(self) -> str:
        if self.store.url:
            return self.store.url
        return f"sqlite:///{Path(self.store.data_dir) / 'blogsift.db'}"


def _apply(obj: Any, data: dict, path: str, prefix: str = "") -> None:
    names = {f.name: f for f in dataclasses.fields(obj)}
    for key, value in data.items():
        if prefix + key in REMOVED:
            raise ConfigError(f"'{prefix}{key}' is no longer a setting: {REMOVED[prefix + key]}; "
                              "remove it from the file", path=path, key=prefix + key)
        if key not in names:
            raise ConfigError(f"unknown setting '{prefix}{key}'", path=path, key=prefix + key)
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ConfigError(f"'{prefix}{key}' must be a table", path=path, key=prefix + key)
            _apply(current, value, path, prefix + key + ".")
            continue
        expected = type(current)
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(f"'{prefix}{key}' must be {expected.__name__}, got {value!r}",
                              path=path, key=prefix + key)
        if names[key].metadata.get("path"):
            value = _from_folder(value, Path(path).resolve().parent)
        setattr(obj, key, value)


def _from_folder(value: str, folder: Path) -> str:
    """A path setting as written in the file, taken from the file's folder when relative (a SQLite
    URL's file path too); empty and absolute values, and other URLs, are left as they are."""
    if not value:
        return value
    if value.startswith("sqlite:///"):
        file = value[len("sqlite:///"):]
        if file and file != ":memory:" and not Path(file).is_absolute():
            return f"sqlite:///{folder / file}"
        return value
    if "://" in value or Path(value).expanduser().is_absolute():
        return str(Path(value).expanduser()) if "://" not in value else value
    return str(folder / Path(value).expanduser())


def load_settings(path: str | os.PathLike | None = None) -> Settings:
    """Defaults, overlaid by the TOML file (explicit path, $BLOGSIFT_CONFIG, or ./blogsift.toml)."""
    settings = Settings()
    explicit = path is not None or "BLOGSIFT_CONFIG" in os.environ
    p = Path(path or os.environ.get("BLOGSIFT_CONFIG") or DEFAULT_CONFIG_NAME)
    if p.exists():
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read settings: {exc}", path=str(p)) from exc
        _apply(settings, data, str(p))
    elif explicit:
        raise ConfigError("settings file not found", path=str(p))
    env = os.environ
    if env.get("BLOGSIFT_LLM_BASE_URL"):
        settings.summary.llm_base_url = env["BLOGSIFT_LLM_BASE_URL"]
    if env.get("BLOGSIFT_LLM_MODEL"):
        settings.summary.llm_model = env["BLOGSIFT_LLM_MODEL"]
    return settings


def settings_help(settings: Settings | None = None) -> list[tuple[str, Any, str]]:
    """(dotted key, current value, help) for every setting, for ``blogsift config``."""
    settings = settings or Settings()
    rows: list[tuple[str, Any, str]] = []

    def walk(obj: Any, prefix: str) -> None:
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if dataclasses.is_dataclass(value):
                walk(value, prefix + f.name + ".")
            else:
                rows.append((prefix + f.name, value, f.metadata.get("help", "")))

    walk(settings, "")
    return rows
