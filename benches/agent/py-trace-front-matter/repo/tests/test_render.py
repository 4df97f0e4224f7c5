from blog.post import Post
from blog.render import render_index, render_post


def test_render_post_escapes():
    html = render_post(Post("A < B", "2024-01-01", "x & y"))
    assert "<h1>A &lt; B</h1>" in html
    assert "<p>x &amp; y</p>" in html


def test_index_newest_first():
    posts = [Post("Old", "2023-01-01", ""), Post("New", "2024-01-01", "")]
    html = render_index(posts)
    assert html.index("New") < html.index("Old")
