"""Tracking parameters leave canonical URLs (courlan's list plus the blogs' own); the page's own stay."""

from __future__ import annotations

import pytest

from blogsift.enrich import canonical_url

CASES = [
    ("https://medium.com/airbnb-engineering/when-a-picture-17ba?source=rss----53c7c27702d5---4",
     "https://medium.com/airbnb-engineering/when-a-picture-17ba"),
    ("https://netflixtechblog.com/ready-to-go-1744?source=rss----2615bd06b42e---4&gi=5b0f",
     "https://netflixtechblog.com/ready-to-go-1744"),
    ("https://blog.example.com/post?utm_source=feed&utm_medium=rss&utm_campaign=x", "https://blog.example.com/post"),
    ("https://blog.example.com/post?fbclid=abc&gclid=def&mc_cid=1&mc_eid=2&ref=hn", "https://blog.example.com/post"),
    ("https://aws.amazon.com/blogs/machine-learning/x/?sc_channel=sm&sc_campaign=launch",
     "https://aws.amazon.com/blogs/machine-learning/x/"),
    ("https://ai.googleblog.com/2022/12/x.html?m=1", "https://ai.googleblog.com/2022/12/x.html"),
    ("HTTPS://Blog.Example.com:443/post#comments", "https://blog.example.com/post"),
    # what identifies the page stays
    ("https://blog.example.com/index.php?p=123&utm_source=x", "https://blog.example.com/index.php?p=123"),
    ("https://blog.example.com/view?id=7&page=2", "https://blog.example.com/view?id=7&page=2"),
    ("http://127.0.0.1:8080/demo/posts/a.html", "http://127.0.0.1:8080/demo/posts/a.html"),
]


@pytest.mark.parametrize("url,expected", CASES)
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


def test_canonical_url_is_stable():
    for url, expected in CASES:
        assert canonical_url(expected) == expected
