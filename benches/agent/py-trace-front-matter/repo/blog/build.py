"""Command line entry point: python -m blog.build SOURCE_DIR [OUTPUT_DIR]"""

import sys
from pathlib import Path

from blog.post import Post
from blog.render import render_index, render_post


def load_posts(src):
    posts = []
    for path in sorted(Path(src).glob("*.md")):
        posts.append(Post.from_text(path.read_text(encoding="utf-8")))
    return posts


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    src = Path(argv[0])
    out = Path(argv[1]) if len(argv) > 1 else src / "_site"
    posts = load_posts(src)
    out.mkdir(parents=True, exist_ok=True)
    for post in posts:
        (out / f"{post.slug}.html").write_text(render_post(post), encoding="utf-8")
    (out / "index.html").write_text(render_index(posts), encoding="utf-8")
    print(f"built {len(posts)} posts into {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
