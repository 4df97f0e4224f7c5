"""Reading .env files: KEY=VALUE lines."""


class EnvSyntaxError(ValueError):
    """A line that is not KEY=VALUE."""

    def __init__(self, lineno, line):
        super().__init__(f"line {lineno}: expected KEY=VALUE, got {line!r}")
        self.lineno = lineno


def _unquote(value):
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def parse_env(text):
    """Parse .env text into a dict.

    Blank lines are skipped. Keys and values are stripped of surrounding
    whitespace; a value wrapped in single or double quotes loses the quotes.
    Raises EnvSyntaxError for a line without "=" or with an empty key.
    """
    env = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key:
            raise EnvSyntaxError(lineno, line)
        env[key] = _unquote(value.strip())
    return env
