"""Front matter: a block of `key: value` lines between two `---` lines at the top of a post.

    ---
    title: Hello
    tags: intro, meta
    ---
    Body text...
"""

DELIMITER = "---"


class FrontMatterError(ValueError):
    pass


def parse_front_matter(text):
    """Split text into (meta, body). meta maps lower-cased keys to stripped string values.

    Text without front matter gives ({}, text).
    """
    lines = text.splitlines()
    if not lines or lines[0].strip() != DELIMITER:
        return {}, text
    meta = {}
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == DELIMITER:
            body = "\n".join(lines[index + 1:])
            return meta, body
        if not line.strip():
            continue
        key, value = line.split(":")
        meta[key.strip().lower()] = value.strip()
    raise FrontMatterError("front matter is not closed with ---")
