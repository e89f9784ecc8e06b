"""Who may use the review app, and proof that a form was sent from the app itself.

- Bound to loopback, the app needs no token; bound beyond loopback it refuses to start without one,
  and then every request must carry it. When a token is configured, every write needs it.
- The token travels as ``Authorization: Bearer <token>`` or as a cookie set by ``/login``; the cookie
  holds an HMAC derived from the token, never the token itself.
- CSRF: a random per-browser nonce in a signed cookie, and in every form a hidden field derived from
  it; both are checked with :func:`hmac.compare_digest`. Requests authenticated by the Bearer header
  need no CSRF field (a browser never adds that header by itself).
- The signing secret is kept in the store (made once), so cookies stay valid across restarts and
  across app processes over one store.
- Behind a reverse proxy the browser's origin is the proxy's (``review.public_origin``): its host is
  accepted and forms sent from it are trusted, whatever Host header the proxy forwards.

Hand-written over the standard library's ``hmac`` and ``secrets`` (a few lines) rather than adding a
session library for two cookies.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request

from ..errors import ConfigError

__all__ = [
    "AccessGuard",
    "is_loopback",
    "check_bind",
    "security_headers",
    "safe_next",
    "safe_href",
    "AUTH_COOKIE",
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "MIN_TOKEN_CHARS",
    "SECRET_DOC",
    "parse_public_origin",
]

AUTH_COOKIE = "blogsift_auth"
CSRF_COOKIE = "blogsift_csrf"
CSRF_FIELD = "csrf_token"
#: a token guards the curator's data on a network: too short a token is guessable
MIN_TOKEN_CHARS = 16
#: the store document holding the app's signing secret (hex)
SECRET_DOC = "review_signing_secret"
#: the loopback names a browser may use for the app (anything else is refused: DNS rebinding)
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")

CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
                           "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False   # a name other than localhost may resolve anywhere


def check_bind(host: str, token: str | None, token_env: str) -> None:
    """Refuse to listen beyond loopback without a token, or with one too short to be safe."""
    if token is not None and len(token) < MIN_TOKEN_CHARS:
        raise ConfigError(f"the access token in ${token_env} is shorter than {MIN_TOKEN_CHARS} characters; "
                          "use e.g. `python -c 'import secrets; print(secrets.token_urlsafe(24))'`",
                          key="review.token_env")
    if not is_loopback(host) and not token:
        raise ConfigError(f"refusing to listen on {host}, beyond loopback, without an access token: "
                          f"set ${token_env} (or listen on 127.0.0.1)", key="review.host")


def parse_public_origin(value: str) -> str | None:
    """``https://digest.example.com`` (scheme and host, optionally a port) as the browser sends it in
    ``Origin``; None when not configured. A path, query or other scheme is a configuration error."""
    value = (value or "").strip().rstrip("/")
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query or parts.fragment:
        raise ConfigError(f"review.public_origin must look like https://digest.example.com, not {value!r}",
                          key="review.public_origin")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def security_headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


def safe_next(value: str | None, default: str = "/") -> str:
    """A same-site path to go back to after a form (never another site: no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ord(ch) < 32 for ch in value):
        return default
    return value


def safe_href(url: str | None) -> str | None:
    """The URL if it may be a link (http or https with a host), else None: shown as text only."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc and not any(ord(ch) < 32 for ch in url):
        return url.strip()
    return None


class AccessGuard:
    """Token and CSRF checks for one running app (``secret``: the store's, so cookies outlive the
    process; a fresh one when none is given). ``public_origin``: where the browser sees the app."""

    def __init__(self, token: str | None, *, reads_need_token: bool, secret: bytes | None = None,
                 public_origin: str | None = None):
        self.token = token or None
        self.reads_need_token = bool(self.token) and reads_need_token
        self._secret = secret or secrets.token_bytes(32)
        self.public_origin = public_origin

    def _sign(self, purpose: str, value: str) -> str:
        return hmac.new(self._secret, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    # -- token ------------------------------------------------------------------------------------
    def token_matches(self, candidate: str | None) -> bool:
        if not self.token or not candidate:
            return False
        return hmac.compare_digest(candidate.encode(), self.token.encode())

    def auth_cookie_value(self) -> str:
        assert self.token
        return self._sign("auth", self.token)

    def bearer_ok(self, request: Request) -> bool:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and self.token_matches(value.strip())

    def authenticated(self, request: Request) -> bool:
        """True when no token is configured, or the request carries it (header or login cookie)."""
        if not self.token:
            return True
        if self.bearer_ok(request):
            return True
        cookie = request.cookies.get(AUTH_COOKIE)
        return bool(cookie) and hmac.compare_digest(cookie, self.auth_cookie_value())

    # -- CSRF -------------------------------------------------------------------------------------
    def csrf_nonce(self, request: Request) -> str | None:
        """The nonce of a valid CSRF cookie, or None."""
        cookie = request.cookies.get(CSRF_COOKIE, "")
        nonce, _, sig = cookie.partition(".")
        if nonce and sig and hmac.compare_digest(sig, self._sign("csrf-cookie", nonce)):
            return nonce
        return None

    def new_csrf_cookie(self) -> tuple[str, str]:
        nonce = secrets.token_urlsafe(18)
        return nonce, f"{nonce}.{self._sign('csrf-cookie', nonce)}"

    def csrf_field(self, nonce: str) -> str:
        return self._sign("csrf-form", nonce)

    def csrf_ok(self, request: Request, submitted: str | None) -> bool:
        if self.bearer_ok(request):
            return True
        nonce = self.csrf_nonce(request)
        if not nonce or not submitted:
            return False
        if not hmac.compare_digest(submitted, self.csrf_field(nonce)):
            return False
        # a browser names the page a form came from; if it is another site, refuse
        origin = request.headers.get("origin")
        if origin and origin != "null":
            if self.public_origin and origin.rstrip("/").lower() == self.public_origin:
                return True
            host = request.headers.get("host", "")
            return urlsplit(origin).netloc == host
        return True
