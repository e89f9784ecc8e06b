"""The digest as one self-contained HTML page: inline CSS, no script, no external assets.

Jinja2 autoescapes every value; the only markup inserted as-is is what ``views.inline_html``
produced from inline Markdown with raw HTML disabled and http(s)-only links.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from .model import Digest, DigestEntry
from .views import inline_html, view_of

__all__ = ["render_html"]

_env = Environment(loader=PackageLoader("blogsift", "templates"), autoescape=select_autoescape(["html", "j2"]),
                   trim_blocks=True, lstrip_blocks=True)


def render_html(digest_or_entries: Digest | list[DigestEntry], *, header: list[str] | None = None,
                base_dir: str | Path | None = None, lang: str = "ko") -> str:
    """The page. ``base_dir``: where the digest's ``./images/`` live; figures found there are embedded."""
    view = view_of(digest_or_entries, header=header, base_dir=Path(base_dir) if base_dir else None)
    template = _env.get_template("digest.html.j2")
    return template.render(view=view, lang=lang, md=lambda text: Markup(inline_html(text)))
