"""The review web app (``blogsift serve``): candidates, decisions, digest preview."""

from .app import create_app

__all__ = ["create_app"]
