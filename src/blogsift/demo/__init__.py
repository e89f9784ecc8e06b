"""The bundled demo: a web of fictional AI & ML blogs, served on 127.0.0.1 for the offline demo,
the tests and the benchmarks.

Stable API: ``serve_demo()`` (context manager yielding the base URL), ``demo_sources(base_url)``
(the registry of the demo blogs), ``demo_posts()`` (every post with its ground-truth labels).
"""

from .server import DemoServer, serve_demo
from .site import DemoPost, demo_posts, demo_sources

__all__ = ["serve_demo", "DemoServer", "demo_sources", "demo_posts", "DemoPost"]
