from textfmt import indent, truncate


def test_truncate_short_text_unchanged():
    assert truncate("hello", 10) == "hello"


def test_truncate_adds_ellipsis():
    assert truncate("hello world", 8) == "hello..."


def test_indent_skips_blank_lines():
    assert indent("a\n\nb", "> ") == "> a\n\n> b"
