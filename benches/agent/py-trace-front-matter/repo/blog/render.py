"""HTML rendering."""

from html import escape


def render_post(post):
    paragraphs = [p.strip() for p in post.body.split("\n\n") if p.strip()]
    html_body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return f"<article>\n<h1>{escape(post.title)}</h1>\n<time>{post.date}</time>\n{html_body}\n</article>\n"


def render_index(posts):
    """A list of links to the posts, newest first."""
    items = [
        f'<li><a href="{p.slug}.html">{escape(p.title)}</a> ({p.date})</li>'
        for p in sorted(posts, key=lambda p: p.date, reverse=True)
    ]
    return "<ul>\n" + "\n".join(items) + "\n</ul>\n"
