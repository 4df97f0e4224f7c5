"""Plain-text formatting helpers."""


def truncate(text, limit, ellipsis="..."):
    """Shorten text to at most limit characters, ending with ellipsis when cut."""
    if len(text) <= limit:
        return text
    if limit <= len(ellipsis):
        return ellipsis[:limit]
    return text[: limit - len(ellipsis)] + ellipsis


def wrap(text, width):
    """Split text into lines of at most width characters, breaking at spaces.

    Words are separated by single spaces in the output (runs of whitespace in
    the input collapse). A word longer than width is put on a line of its own,
    unbroken. Empty or all-whitespace text gives an empty list.
    """
    if width < 1:
        raise ValueError("width must be positive")
    lines = []
    line = ""
    for word in text.split():
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def indent(text, prefix="    "):
    """Prefix every non-empty line of text."""
    return "\n".join(prefix + line if line.strip() else line for line in text.split("\n"))
