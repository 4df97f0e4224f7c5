from blog.frontmatter import parse_front_matter
from blog.post import Post

SOURCE = """---
title: Hello, World!
date: 2024-03-01
tags: intro, meta
---
First post.

Second paragraph.
"""


def test_parse_front_matter():
    meta, body = parse_front_matter(SOURCE)
    assert meta == {"title": "Hello, World!", "date": "2024-03-01", "tags": "intro, meta"}
    assert body.startswith("First post.")


def test_no_front_matter():
    assert parse_front_matter("just text") == ({}, "just text")


def test_post_from_text():
    post = Post.from_text(SOURCE)
    assert post.slug == "hello-world"
    assert post.tags == ["intro", "meta"]
