from blog.frontmatter import parse_front_matter
from blog.post import Post


def test_hidden_colon_in_value():
    meta, body = parse_front_matter("---\ntitle: Rust: a primer\ndate: 2024-05-12\n---\nOwnership first.\n")
    assert meta == {"title": "Rust: a primer", "date": "2024-05-12"}
    assert body.strip() == "Ownership first."


def test_hidden_url_and_time_values():
    meta, _ = parse_front_matter("---\nLink: https://example.com:8080/x\ntime: 10:30:00\n---\n")
    assert meta == {"link": "https://example.com:8080/x", "time": "10:30:00"}


def test_hidden_post_with_colon_title():
    post = Post.from_text("---\ntitle: Rust: a primer\ndate: 2024-05-12\ntags: rust\n---\nBody\n")
    assert post.title == "Rust: a primer"
    assert post.slug == "rust-a-primer"
