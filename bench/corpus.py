"""A web of N blogs × M posts for benchmarks, served on 127.0.0.1.

    python bench/corpus.py --sources 5 --posts 3 --check [--synthetic]

Two kinds of pages behind the same generated feeds:

- real (the default when ``../shared/bench/real-pages`` is beside the repository): the 923 real HTML
  pages there (news, blogs, company pages; median 93 KB, up to 1.5 MB), reused round-robin over the
  posts and read from disk on each request, so neither the repository nor the server's memory holds
  them;
- synthetic (``--synthetic``): page bodies generated on request from (seed, source, post); sizes vary
  from ~2 KB to ~200 KB, simple markup (bare trafilatura runs ~15× faster on them than on real pages).

Deterministic for a seed; a third of the blogs are Korean; half of the feeds answer conditional GET
with 304. ``mutate(fraction)`` publishes new posts; ``stats`` counts requests.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from blogsift.models import Source  # noqa: E402

#: every post falls in the 60 days before this date, so a benchmark period is fixed
REFERENCE = datetime(2026, 11, 1, tzinfo=UTC)
#: the real pages, beside the repository (third-party content: never copied into it)
REAL_PAGES = Path(__file__).resolve().parents[2] / "shared" / "bench" / "real-pages"

TOPICS_EN = [("Serving {m} with {t} at low latency", "training_inference_mlops"),
             ("How we built {m} search with {t}", "recsys_etc"), ("Detecting defects in images using {t}", "cv"),
             ("Fine-tuning {m} language models with {t}", "nlp"), ("Our {t} feature store for {m}", "training_inference_mlops"),
             ("Quarterly office update {m}", None), ("Hiring {t} engineers", None)]
TOPICS_KO = [("{t}로 {m} 모델 서빙하기", "training_inference_mlops"), ("{m} 추천 시스템 구축기", "recsys_etc"),
             ("{t} 기반 이미지 검색", "cv"), ("{m} 언어 모델 파인 튜닝", "nlp"), ("{m} 사내 행사 후기", None)]
TOOLS = ["PyTorch", "ONNX Runtime", "Triton", "Ray", "Feast", "Kubeflow", "vLLM", "Faiss", "LightGBM", "Spark"]
NAMES = ["retrieval", "ranking", "vision", "speech", "pricing", "fraud", "ads", "feed", "query", "catalog"]
PARA_EN = ("We measured p99 latency of {a} ms and throughput of {b} requests per second on {t}. The pipeline "
           "ingests {c} million events a day and the model is retrained every {d} hours. ")
PARA_KO = ("{t} 환경에서 p99 지연 시간 {a} ms, 초당 {b}건의 처리량을 측정했습니다. 하루 {c}백만 건의 이벤트를 처리하고 "
           "모델은 {d}시간마다 재학습합니다. ")


@dataclass
class Corpus:
    n_sources: int = 200
    posts_per_source: int = 50
    seed: int = 0
    extra: dict[int, int] = field(default_factory=dict)     # source → posts added by mutate()

    def lang(self, s: int) -> str:
        return "ko" if s % 3 == 2 else "en"

    def validators(self, s: int) -> bool:
        return s % 2 == 0

    def n_posts(self, s: int) -> int:
        return self.posts_per_source + self.extra.get(s, 0)

    def rng(self, s: int, p: int) -> random.Random:
        return random.Random(hashlib.sha256(f"{self.seed}:{s}:{p}".encode()).digest())

    def post_meta(self, s: int, p: int) -> tuple[str, datetime, str | None]:
        r = self.rng(s, p)
        topics = TOPICS_KO if self.lang(s) == "ko" else TOPICS_EN
        pattern, area = topics[r.randrange(len(topics))]
        title = pattern.format(m=r.choice(NAMES), t=r.choice(TOOLS)) + f" #{p}"
        # posts published in order, newest last; mutations are newer than everything
        when = REFERENCE - timedelta(days=60) + timedelta(hours=(p * 977 + s * 13) % (58 * 24))
        if p >= self.posts_per_source:
            when = REFERENCE - timedelta(hours=p - self.posts_per_source + 1)
        return title, when, area

    def page(self, s: int, p: int, base: str) -> bytes:
        r = self.rng(s, p)
        title, when, _ = self.post_meta(s, p)
        tmpl = PARA_KO if self.lang(s) == "ko" else PARA_EN
        n_paras = int(r.paretovariate(1.2) * 4) % 400 + 4      # heavy-tailed: most pages small, some ~200 KB
        paras = "".join(f"<p>{tmpl.format(a=r.randint(5, 300), b=r.randint(100, 9000), c=r.randint(1, 90), d=r.randint(1, 48), t=r.choice(TOOLS))}</p>"
                        for _ in range(n_paras))
        links = f'<p><a href="https://github.com/corp{s}/repo{p}">code</a></p>' if r.random() < 0.3 else ""
        html = (f'<!doctype html><html lang="{self.lang(s)}"><head><meta charset="utf-8"><title>{escape(title)}</title>'
                f'</head><body><nav><a href="{base}/s{s}/">Blog {s}</a> | About | Careers</nav><article><h1>{escape(title)}</h1>'
                f'<time datetime="{when.isoformat()}">{when:%Y-%m-%d}</time>{paras}{links}</article>'
                f"<footer>© blog {s}</footer></body></html>")
        return html.encode("utf-8")

    def feed(self, s: int, base: str) -> bytes:
        items = []
        for p in range(self.n_posts(s)):
            title, when, _ = self.post_meta(s, p)
            items.append(f"<item><title>{escape(title)}</title><link>{base}/s{s}/p{p}.html</link>"
                         f"<guid>{base}/s{s}/p{p}.html</guid><pubDate>{format_datetime(when)}</pubDate></item>")
        return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Blog {s}</title>'
                f"<link>{base}/s{s}/</link>{''.join(reversed(items))}</channel></rss>").encode()

    def sources(self, base: str) -> list[Source]:
        return [Source(key=f"s{s}", name=f"Blog {s}", feed_url=f"{base}/s{s}/feed.xml", home_url=f"{base}/s{s}/",
                       org=f"Corp{s}", kind="company", lang=self.lang(s), reputation=0.6)
                for s in range(self.n_sources)]

    def mutate(self, fraction: float = 0.01) -> int:
        """Publish new posts: ``fraction`` of the corpus, spread over the sources; returns how many."""
        total = max(1, round(self.n_sources * self.posts_per_source * fraction))
        for i in range(total):
            s = (i * 7) % self.n_sources
            self.extra[s] = self.extra.get(s, 0) + 1
        return total

    @property
    def size(self) -> int:
        return sum(self.n_posts(s) for s in range(self.n_sources))


@dataclass
class RealPageCorpus(Corpus):
    """The same blogs and feeds, each post page one of the real pages (round-robin, read on request)."""

    pages_dir: Path = REAL_PAGES

    def __post_init__(self) -> None:
        self.files = sorted((self.pages_dir / "pages").glob("*.html"))
        if not self.files:
            raise FileNotFoundError(f"no real pages in {self.pages_dir / 'pages'}")

    def page_file(self, s: int, p: int) -> Path:
        return self.files[(s * self.posts_per_source + p) % len(self.files)]

    def page(self, s: int, p: int, base: str) -> bytes:
        return self.page_file(s, p).read_bytes()


def real_pages_present(folder: Path = REAL_PAGES) -> bool:
    return (folder / "pages").is_dir()


def generate_corpus(n_sources: int = 200, posts_per_source: int = 50, seed: int = 0, *,
                    real: bool | None = None) -> Corpus:
    """Real pages when they are present (or ``real=True``), else synthetic ones."""
    if real or (real is None and real_pages_present()):
        return RealPageCorpus(n_sources, posts_per_source, seed)
    return Corpus(n_sources, posts_per_source, seed)


@dataclass
class Stats:
    requests: int = 0
    not_modified: int = 0
    by_kind: Counter = field(default_factory=Counter)


@contextmanager
def serve_corpus(corpus: Corpus):
    """Serve ``corpus`` on 127.0.0.1; yields (base_url, stats)."""
    stats = Stats()
    lock = threading.Lock()
    state = {"base": ""}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            parts = [x for x in self.path.split("?")[0].split("/") if x]
            status, body, headers = 404, b"not found", {"Content-Type": "text/plain"}
            kind = "other"
            if parts == ["robots.txt"]:
                status, body, kind = 200, b"User-agent: *\nAllow: /\n", "robots"
            elif len(parts) == 2 and parts[0][1:].isdigit():
                s = int(parts[0][1:])
                if parts[1] == "feed.xml" and s < corpus.n_sources:
                    kind, status, body = "feed", 200, corpus.feed(s, state["base"])
                    headers = {"Content-Type": "application/rss+xml"}
                    if corpus.validators(s):
                        etag = '"' + hashlib.sha1(body).hexdigest() + '"'
                        headers["ETag"] = etag
                        if self.headers.get("If-None-Match") == etag:
                            status, body = 304, b""
                elif parts[1].startswith("p") and parts[1].endswith(".html"):
                    p = int(parts[1][1:-5])
                    if s < corpus.n_sources and p < corpus.n_posts(s):
                        kind, status, body = "page", 200, corpus.page(s, p, state["base"])
                        # real pages declare their own charset (or not): the bytes and <meta> decide
                        headers = {"Content-Type": "text/html" if isinstance(corpus, RealPageCorpus)
                                   else "text/html; charset=utf-8"}
            with lock:
                stats.requests += 1
                stats.by_kind[kind] += 1
                stats.not_modified += status == 304
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256

    httpd = Server(("127.0.0.1", 0), Handler)
    state["base"] = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield state["base"], stats
    finally:
        httpd.shutdown()
        httpd.server_close()


def main() -> int:
    ap = argparse.ArgumentParser(description="serve a synthetic corpus of blogs on 127.0.0.1")
    ap.add_argument("--sources", type=int, default=200)
    ap.add_argument("--posts", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--check", action="store_true", help="self-test and exit")
    ap.add_argument("--synthetic", action="store_true", help="generated pages even when real ones are present")
    args = ap.parse_args()
    corpus = generate_corpus(args.sources, args.posts, args.seed, real=False if args.synthetic else None)
    sizes = [len(corpus.page(s, p, "")) for s in range(min(5, args.sources)) for p in range(args.posts)]
    print(f"{corpus.size} posts in {args.sources} blogs; page sizes {min(sizes)}..{max(sizes)} bytes "
          f"(median {sorted(sizes)[len(sizes) // 2]})")
    with serve_corpus(corpus) as (base, stats):
        if args.check:
            import httpx
            assert httpx.get(f"{base}/s0/feed.xml").status_code == 200
            assert httpx.get(f"{base}/s0/p0.html").status_code == 200
            print(f"ok ({stats.requests} requests)")
            return 0
        print(f"serving on {base} (Ctrl-C to stop)")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
