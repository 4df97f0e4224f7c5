"""Blog posts."""

from dataclasses import dataclass, field
from typing import List

from blog.frontmatter import parse_front_matter
from blog.slug import slugify


@dataclass
class Post:
    title: str
    date: str
    body: str
    tags: List[str] = field(default_factory=list)

    @property
    def slug(self):
        return slugify(self.title)

    @classmethod
    def from_text(cls, text):
        """Build a Post from its source: front matter (title, date, optional tags) and body."""
        meta, body = parse_front_matter(text)
        tags = [t.strip() for t in meta.get("tags", "").split(",") if t.strip()]
        return cls(title=meta["title"], date=meta["date"], body=body.strip(), tags=tags)
