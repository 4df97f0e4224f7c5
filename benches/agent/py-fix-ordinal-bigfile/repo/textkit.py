"""textkit: a grab bag of small, dependency-free helpers for text, numbers, collections,
units, validation, dates and colors.

Everything here is pure Python and works on built-in types only. Functions are grouped by
topic; each group starts with a banner comment.
"""

import math
import re
import string
import unicodedata
from collections import Counter, OrderedDict, defaultdict
from itertools import islice, zip_longest

__all__ = []  # filled in at the bottom of the module


def _export(func):
    __all__.append(func.__name__)
    return func


# ---------------------------------------------------------------------------
# Strings: case and whitespace
# ---------------------------------------------------------------------------

_WORD_BOUNDARY = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


@_export
def split_words(text):
    """Split identifiers and phrases into words: "parseHTTPRequest_v2" -> ["parse", "HTTP", "Request", "v", "2"]."""
    words = []
    for chunk in re.split(r"[\s_\-./]+", text):
        words.extend(_WORD_BOUNDARY.findall(chunk))
    return words


@_export
def camel_case(text):
    """"hello big world" -> "helloBigWorld"."""
    words = split_words(text)
    if not words:
        return ""
    return words[0].lower() + "".join(w.capitalize() for w in words[1:])


@_export
def pascal_case(text):
    """"hello big world" -> "HelloBigWorld"."""
    return "".join(w.capitalize() for w in split_words(text))


@_export
def snake_case(text):
    """"HelloBigWorld" -> "hello_big_world"."""
    return "_".join(w.lower() for w in split_words(text))


@_export
def kebab_case(text):
    """"HelloBigWorld" -> "hello-big-world"."""
    return "-".join(w.lower() for w in split_words(text))


@_export
def constant_case(text):
    """"helloBigWorld" -> "HELLO_BIG_WORLD"."""
    return "_".join(w.upper() for w in split_words(text))


@_export
def title_case(text, small_words=("a", "an", "and", "as", "at", "but", "by", "for", "in", "of", "on", "or", "the", "to")):
    """Capitalize words except small ones (which are still capitalized first and last)."""
    words = text.split()
    out = []
    for i, word in enumerate(words):
        lower = word.lower()
        if 0 < i < len(words) - 1 and lower in small_words:
            out.append(lower)
        else:
            out.append(lower[:1].upper() + lower[1:])
    return " ".join(out)


@_export
def swap_case_words(text):
    """Swap the case of each letter but keep whitespace untouched."""
    return "".join(c.lower() if c.isupper() else c.upper() for c in text)


@_export
def collapse_whitespace(text):
    """Replace runs of whitespace with a single space and strip the ends."""
    return " ".join(text.split())


@_export
def strip_lines(text):
    """Strip trailing whitespace from every line."""
    return "\n".join(line.rstrip() for line in text.splitlines())


@_export
def dedent_text(text):
    """Remove the common leading indentation of all non-blank lines."""
    lines = text.splitlines()
    indents = [len(line) - len(line.lstrip(" ")) for line in lines if line.strip()]
    if not indents:
        return "\n".join("" for _ in lines)
    cut = min(indents)
    return "\n".join(line[cut:] if line.strip() else "" for line in lines)


@_export
def indent_text(text, prefix="    ", skip_blank=True):
    """Prefix each line with prefix; blank lines are left alone when skip_blank."""
    out = []
    for line in text.split("\n"):
        if skip_blank and not line.strip():
            out.append(line)
        else:
            out.append(prefix + line)
    return "\n".join(out)


@_export
def normalize_newlines(text):
    """Convert \\r\\n and lone \\r to \\n."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


@_export
def ensure_trailing_newline(text):
    """Append a newline unless text is empty or already ends with one."""
    if text and not text.endswith("\n"):
        return text + "\n"
    return text


@_export
def count_leading(text, char=" "):
    """Number of times char repeats at the start of text."""
    count = 0
    for c in text:
        if c != char:
            break
        count += 1
    return count


@_export
def expand_tabs_to(text, tabsize=4):
    """Expand tabs to spaces using tab stops every tabsize columns, per line."""
    return "\n".join(line.expandtabs(tabsize) for line in text.split("\n"))


# ---------------------------------------------------------------------------
# Strings: trimming, padding and slicing
# ---------------------------------------------------------------------------


@_export
def truncate(text, limit, ellipsis="..."):
    """Shorten text to at most limit characters, ending with ellipsis when cut."""
    if limit < 0:
        raise ValueError("limit must not be negative")
    if len(text) <= limit:
        return text
    if limit <= len(ellipsis):
        return ellipsis[:limit]
    return text[: limit - len(ellipsis)] + ellipsis


@_export
def truncate_words(text, max_words, tail=" ..."):
    """Keep the first max_words words of text, adding tail when words were dropped."""
    words = text.split()
    if len(words) <= max_words:
        return " ".join(words)
    return " ".join(words[:max_words]) + tail


@_export
def truncate_middle(text, limit, marker="..."):
    """Shorten text by cutting out its middle: "abcdefghij", 7 -> "ab...ij"."""
    if len(text) <= limit:
        return text
    if limit <= len(marker):
        return marker[:limit]
    keep = limit - len(marker)
    head = (keep + 1) // 2
    tail = keep - head
    return text[:head] + marker + (text[-tail:] if tail else "")


@_export
def pad_left(text, width, fill=" "):
    """Right-align text in a field of width characters."""
    if len(fill) != 1:
        raise ValueError("fill must be one character")
    return fill * max(0, width - len(text)) + text


@_export
def pad_right(text, width, fill=" "):
    """Left-align text in a field of width characters."""
    if len(fill) != 1:
        raise ValueError("fill must be one character")
    return text + fill * max(0, width - len(text))


@_export
def pad_center(text, width, fill=" "):
    """Center text; when the padding is odd the extra character goes on the right."""
    if len(fill) != 1:
        raise ValueError("fill must be one character")
    total = max(0, width - len(text))
    left = total // 2
    return fill * left + text + fill * (total - left)


@_export
def remove_prefix(text, prefix):
    """text without prefix when it starts with it."""
    return text[len(prefix):] if prefix and text.startswith(prefix) else text


@_export
def remove_suffix(text, suffix):
    """text without suffix when it ends with it."""
    return text[: -len(suffix)] if suffix and text.endswith(suffix) else text


@_export
def between(text, start, end):
    """The part of text between the first start and the next end, or None."""
    i = text.find(start)
    if i == -1:
        return None
    i += len(start)
    j = text.find(end, i)
    if j == -1:
        return None
    return text[i:j]


@_export
def split_once(text, sep):
    """(head, tail) around the first sep; (text, "") when sep is absent."""
    head, found, tail = text.partition(sep)
    return (head, tail) if found else (text, "")


@_export
def rsplit_once(text, sep):
    """(head, tail) around the last sep; ("", text) when sep is absent."""
    head, found, tail = text.rpartition(sep)
    return (head, tail) if found else ("", text)


@_export
def chunk_string(text, size):
    """Split text into pieces of size characters (the last one may be shorter)."""
    if size < 1:
        raise ValueError("size must be positive")
    return [text[i:i + size] for i in range(0, len(text), size)]


@_export
def insert_every(text, every, sep):
    """Insert sep after every `every` characters: ("abcdef", 2, "-") -> "ab-cd-ef"."""
    return sep.join(chunk_string(text, every)) if text else text


@_export
def reverse_words(text):
    """Reverse the order of the words in text."""
    return " ".join(reversed(text.split()))


# ---------------------------------------------------------------------------
# Strings: searching and comparing
# ---------------------------------------------------------------------------


@_export
def count_substring(text, sub, overlapping=False):
    """Occurrences of sub in text, optionally counting overlapping ones."""
    if not sub:
        raise ValueError("empty substring")
    if not overlapping:
        return text.count(sub)
    count = 0
    start = 0
    while True:
        i = text.find(sub, start)
        if i == -1:
            return count
        count += 1
        start = i + 1


@_export
def find_all(text, sub):
    """Start indexes of all (possibly overlapping) occurrences of sub."""
    if not sub:
        raise ValueError("empty substring")
    out = []
    i = text.find(sub)
    while i != -1:
        out.append(i)
        i = text.find(sub, i + 1)
    return out


@_export
def common_prefix(strings):
    """Longest common prefix of the strings ("" for none)."""
    strings = list(strings)
    if not strings:
        return ""
    low, high = min(strings), max(strings)
    for i, c in enumerate(low):
        if c != high[i]:
            return low[:i]
    return low


@_export
def common_suffix(strings):
    """Longest common suffix of the strings."""
    return common_prefix([s[::-1] for s in strings])[::-1]


@_export
def levenshtein(a, b):
    """Edit distance between a and b (insertions, deletions, substitutions)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


@_export
def hamming(a, b):
    """Number of positions where equal-length strings differ."""
    if len(a) != len(b):
        raise ValueError("strings differ in length")
    return sum(x != y for x, y in zip(a, b))


@_export
def similarity(a, b):
    """1.0 for equal strings, down to 0.0, based on the edit distance."""
    longest = max(len(a), len(b))
    if longest == 0:
        return 1.0
    return 1.0 - levenshtein(a, b) / longest


@_export
def closest_match(word, candidates):
    """The candidate with the smallest edit distance to word (first wins ties), or None."""
    best = None
    best_distance = None
    for candidate in candidates:
        d = levenshtein(word, candidate)
        if best_distance is None or d < best_distance:
            best, best_distance = candidate, d
    return best


@_export
def is_anagram(a, b):
    """True when a and b use the same letters, ignoring case and non-letters."""
    def key(s):
        return Counter(c for c in s.lower() if c.isalpha())

    return key(a) == key(b)


@_export
def is_palindrome(text):
    """True when text reads the same backwards, ignoring case and non-alphanumerics."""
    chars = [c.lower() for c in text if c.isalnum()]
    return chars == chars[::-1]


@_export
def natural_key(text):
    """Sort key that orders embedded numbers numerically: "file10" after "file9"."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


@_export
def natural_sort(strings):
    """Strings sorted with natural_key."""
    return sorted(strings, key=natural_key)


@_export
def wildcard_match(pattern, text):
    """Shell-style match with * (any run) and ? (any one character), whole string."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, flags=re.DOTALL) is not None


# ---------------------------------------------------------------------------
# Strings: characters and encodings
# ---------------------------------------------------------------------------


@_export
def strip_accents(text):
    """Remove combining marks: "crème brûlée" -> "creme brulee"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@_export
def slugify(text, sep="-"):
    """ASCII, lower-case, words joined by sep: "Hello, Wörld!" -> "hello-world"."""
    words = re.findall(r"[a-z0-9]+", strip_accents(text).lower())
    return sep.join(words)


@_export
def only_digits(text):
    """The digits of text, in order."""
    return "".join(c for c in text if c.isdigit())


@_export
def only_letters(text):
    """The letters of text, in order."""
    return "".join(c for c in text if c.isalpha())


@_export
def is_ascii(text):
    """True when every character is ASCII."""
    return all(ord(c) < 128 for c in text)


@_export
def char_frequencies(text, ignore_case=True):
    """Counter of the letters in text."""
    if ignore_case:
        text = text.lower()
    return Counter(c for c in text if c.isalpha())


@_export
def rot13(text):
    """ROT13 of the ASCII letters in text."""
    table = str.maketrans(
        string.ascii_lowercase + string.ascii_uppercase,
        string.ascii_lowercase[13:] + string.ascii_lowercase[:13]
        + string.ascii_uppercase[13:] + string.ascii_uppercase[:13],
    )
    return text.translate(table)


@_export
def caesar(text, shift):
    """Shift ASCII letters by shift places, wrapping around."""
    out = []
    for c in text:
        if c in string.ascii_lowercase:
            out.append(chr((ord(c) - 97 + shift) % 26 + 97))
        elif c in string.ascii_uppercase:
            out.append(chr((ord(c) - 65 + shift) % 26 + 65))
        else:
            out.append(c)
    return "".join(out)


@_export
def escape_html(text):
    """Escape &, <, >, " and ' for HTML."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


@_export
def unescape_html(text):
    """Inverse of escape_html for the five entities it produces."""
    return (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&#39;", "'")
        .replace("&amp;", "&")
    )


@_export
def quote_shell(text):
    """Quote text for a POSIX shell with single quotes."""
    if text and re.fullmatch(r"[A-Za-z0-9_./=:@%+-]+", text):
        return text
    return "'" + text.replace("'", "'\"'\"'") + "'"


@_export
def mask(text, visible=4, char="*"):
    """Hide all but the last visible characters: "4111111111111111" -> "************1111"."""
    if visible <= 0:
        return char * len(text)
    if len(text) <= visible:
        return text
    return char * (len(text) - visible) + text[-visible:]


@_export
def initials(name):
    """Upper-case initials of a name: "ada  lovelace" -> "AL"."""
    return "".join(part[0].upper() for part in name.split())


@_export
def pluralize(word, count, plural=None):
    """word for a count of 1, otherwise its plural (word + "s" unless given)."""
    if count == 1:
        return word
    if plural is not None:
        return plural
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "i", "o", "u"):
        return word[:-1] + "ies"
    return word + "s"


@_export
def quantity(count, word, plural=None):
    """"3 files", "1 file"."""
    return f"{count} {pluralize(word, count, plural)}"


@_export
def join_human(items, conjunction="and"):
    """English list: ["a"] -> "a", ["a", "b"] -> "a and b", ["a", "b", "c"] -> "a, b and c"."""
    items = [str(i) for i in items]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + f" {conjunction} " + items[-1]


# ---------------------------------------------------------------------------
# Strings: wrapping and tables
# ---------------------------------------------------------------------------


@_export
def wrap_text(text, width):
    """Greedy word wrap to lines of at most width characters (long words stay whole)."""
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


@_export
def box(text, padding=1):
    """Draw an ASCII box around the lines of text."""
    lines = text.split("\n")
    width = max(len(line) for line in lines)
    pad = " " * padding
    top = "+" + "-" * (width + 2 * padding) + "+"
    body = ["|" + pad + line.ljust(width) + pad + "|" for line in lines]
    return "\n".join([top, *body, top])


@_export
def format_table(rows, headers=None, align=None):
    """Render rows (lists of values) as a plain-text table with columns separated by two spaces.

    align is a string with one of "l", "r" per column (default all "l").
    """
    rows = [[str(v) for v in row] for row in rows]
    if headers is not None:
        rows = [[str(h) for h in headers]] + rows
    if not rows:
        return ""
    columns = max(len(r) for r in rows)
    rows = [r + [""] * (columns - len(r)) for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(columns)]
    align = (align or "l" * columns).ljust(columns, "l")
    out = []
    for index, row in enumerate(rows):
        cells = [
            cell.rjust(widths[i]) if align[i] == "r" else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        out.append("  ".join(cells).rstrip())
        if headers is not None and index == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


@_export
def underline(text, char="="):
    """text followed by a line of char as long as text."""
    return f"{text}\n{char * len(text)}"


@_export
def number_lines(text, start=1, sep=": "):
    """Prefix lines with right-aligned line numbers."""
    lines = text.split("\n")
    width = len(str(start + len(lines) - 1))
    return "\n".join(f"{str(n).rjust(width)}{sep}{line}" for n, line in enumerate(lines, start))


# ---------------------------------------------------------------------------
# Numbers: parsing
# ---------------------------------------------------------------------------


@_export
def parse_int(text, default=None):
    """int(text) after stripping whitespace and underscores/commas used as separators; default on failure."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    try:
        return int(cleaned)
    except ValueError:
        return default


@_export
def parse_float(text, default=None):
    """float(text) after stripping whitespace and thousands commas; default on failure."""
    cleaned = text.strip().replace(",", "")
    try:
        return float(cleaned)
    except ValueError:
        return default


@_export
def parse_bool(text):
    """Parse yes/no style strings; raises ValueError for anything else."""
    value = text.strip().lower()
    if value in ("1", "true", "yes", "y", "on"):
        return True
    if value in ("0", "false", "no", "n", "off"):
        return False
    raise ValueError(f"not a boolean: {text!r}")


@_export
def parse_percent(text):
    """"12.5%" -> 0.125; a bare number is taken as a percentage too."""
    value = text.strip()
    if value.endswith("%"):
        value = value[:-1]
    return float(value) / 100


@_export
def parse_ratio(text):
    """"16:9" or "16/9" -> 1.777..."""
    for sep in (":", "/"):
        if sep in text:
            a, b = text.split(sep, 1)
            return float(a) / float(b)
    raise ValueError(f"not a ratio: {text!r}")


_SIZE_UNITS = {"b": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4}


@_export
def parse_size(text):
    """Byte count from "512", "4k", "1.5M", "2GiB", "10 MB" (binary multiples)."""
    match = re.fullmatch(r"\s*([\d.]+)\s*([bkmgt]?)(?:i?b)?\s*", text.lower())
    if not match:
        raise ValueError(f"not a size: {text!r}")
    number, unit = match.groups()
    return int(float(number) * _SIZE_UNITS[unit or "b"])


# ---------------------------------------------------------------------------
# Numbers: rounding and ranges
# ---------------------------------------------------------------------------


@_export
def clamp(value, low, high):
    """value limited to the closed range [low, high]."""
    if low > high:
        raise ValueError("low is greater than high")
    return max(low, min(high, value))


@_export
def lerp(a, b, t):
    """Linear interpolation between a and b."""
    return a + (b - a) * t


@_export
def inverse_lerp(a, b, value):
    """Where value lies between a and b, as a fraction (0 at a, 1 at b)."""
    if a == b:
        raise ValueError("empty range")
    return (value - a) / (b - a)


@_export
def remap(value, from_low, from_high, to_low, to_high):
    """Map value from one range onto another."""
    return lerp(to_low, to_high, inverse_lerp(from_low, from_high, value))


@_export
def round_half_up(value, digits=0):
    """Round like on paper: 0.5 goes up, -0.5 goes down (away from zero)."""
    factor = 10 ** digits
    scaled = abs(value) * factor
    rounded = math.floor(scaled + 0.5) / factor
    return math.copysign(rounded, value) if rounded else 0.0


@_export
def round_to_multiple(value, multiple):
    """Nearest multiple of multiple (halves round up)."""
    if multiple == 0:
        raise ValueError("multiple must not be zero")
    return math.floor(value / multiple + 0.5) * multiple


@_export
def round_up_to(value, multiple):
    """Smallest multiple of multiple that is >= value."""
    return math.ceil(value / multiple) * multiple


@_export
def round_down_to(value, multiple):
    """Largest multiple of multiple that is <= value."""
    return math.floor(value / multiple) * multiple


@_export
def significant(value, digits):
    """value rounded to the given number of significant digits."""
    if value == 0:
        return 0.0
    magnitude = math.floor(math.log10(abs(value)))
    return round(value, digits - 1 - magnitude)


@_export
def frange(start, stop, step):
    """Like range() for floats, computed by multiplication to avoid drift."""
    if step == 0:
        raise ValueError("step must not be zero")
    count = max(0, math.ceil((stop - start) / step))
    return [start + i * step for i in range(count)]


@_export
def is_close(a, b, rel=1e-9, absolute=0.0):
    """math.isclose with shorter argument names."""
    return math.isclose(a, b, rel_tol=rel, abs_tol=absolute)


@_export
def sign(value):
    """-1, 0 or 1."""
    return (value > 0) - (value < 0)


@_export
def percent_change(old, new):
    """Relative change from old to new in percent."""
    if old == 0:
        raise ZeroDivisionError("percent change from zero")
    return (new - old) / abs(old) * 100


# ---------------------------------------------------------------------------
# Numbers: integer arithmetic
# ---------------------------------------------------------------------------


@_export
def gcd_many(numbers):
    """Greatest common divisor of all numbers (0 for none)."""
    result = 0
    for n in numbers:
        result = math.gcd(result, n)
    return result


@_export
def lcm(a, b):
    """Least common multiple of two integers."""
    if a == 0 or b == 0:
        return 0
    return abs(a * b) // math.gcd(a, b)


@_export
def lcm_many(numbers):
    """Least common multiple of all numbers (1 for none)."""
    result = 1
    for n in numbers:
        result = lcm(result, n)
    return result


@_export
def is_prime(n):
    """Trial-division primality test."""
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    limit = math.isqrt(n)
    for d in range(3, limit + 1, 2):
        if n % d == 0:
            return False
    return True


@_export
def primes_up_to(limit):
    """All primes <= limit (sieve of Eratosthenes)."""
    if limit < 2:
        return []
    sieve = bytearray([1]) * (limit + 1)
    sieve[0] = sieve[1] = 0
    for p in range(2, math.isqrt(limit) + 1):
        if sieve[p]:
            sieve[p * p::p] = bytearray(len(range(p * p, limit + 1, p)))
    return [i for i, flag in enumerate(sieve) if flag]


@_export
def prime_factors(n):
    """Prime factors of n with multiplicity, ascending."""
    if n < 1:
        raise ValueError("n must be positive")
    factors = []
    d = 2
    while d * d <= n:
        while n % d == 0:
            factors.append(d)
            n //= d
        d += 1
    if n > 1:
        factors.append(n)
    return factors


@_export
def divisors(n):
    """All positive divisors of n, ascending."""
    if n < 1:
        raise ValueError("n must be positive")
    small, large = [], []
    for d in range(1, math.isqrt(n) + 1):
        if n % d == 0:
            small.append(d)
            if d != n // d:
                large.append(n // d)
    return small + large[::-1]


@_export
def digit_sum(n):
    """Sum of the decimal digits of abs(n)."""
    return sum(int(c) for c in str(abs(n)))


@_export
def digital_root(n):
    """Repeated digit sum down to a single digit."""
    n = abs(n)
    return 0 if n == 0 else 1 + (n - 1) % 9


@_export
def is_power_of_two(n):
    """True for 1, 2, 4, 8, ..."""
    return n > 0 and n & (n - 1) == 0


@_export
def next_power_of_two(n):
    """Smallest power of two >= n (1 for n <= 1)."""
    if n <= 1:
        return 1
    return 1 << (n - 1).bit_length()


@_export
def fibonacci(n):
    """The n-th Fibonacci number (fibonacci(0) == 0)."""
    if n < 0:
        raise ValueError("n must not be negative")
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


@_export
def triangular(n):
    """n-th triangular number: 1 + 2 + ... + n."""
    return n * (n + 1) // 2


@_export
def binomial(n, k):
    """n choose k (0 when k is out of range)."""
    if k < 0 or k > n:
        return 0
    return math.comb(n, k)


# ---------------------------------------------------------------------------
# Numbers: formatting
# ---------------------------------------------------------------------------


@_export
def ordinal(n):
    """English ordinal of a non-negative integer: 1 -> "1st", 2 -> "2nd", 3 -> "3rd", 4 -> "4th".

    11, 12 and 13 (and 111, 212, ...) take "th": "11th", "112th"; 21 -> "21st", 102 -> "102nd".
    """
    if n % 10 in (11, 12, 13):
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@_export
def thousands(n, sep=","):
    """Integer part grouped by thousands: 1234567 -> "1,234,567"."""
    return f"{n:,}".replace(",", sep)


@_export
def format_number(value, decimals=2, sep=",", point="."):
    """Fixed decimals with grouping: 1234.5 -> "1,234.50"."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", point).replace("\0", sep)


@_export
def format_percent(fraction, decimals=0):
    """0.256 -> "26%"."""
    return f"{fraction * 100:.{decimals}f}%"


@_export
def human_bytes(n, binary=True):
    """Readable size: 1536 -> "1.5 KiB" (binary) or "1.5 kB" (decimal)."""
    step = 1024 if binary else 1000
    units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] if binary else ["B", "kB", "MB", "GB", "TB", "PB"]
    value = float(n)
    for unit in units:
        if abs(value) < step or unit == units[-1]:
            if unit == "B":
                return f"{int(value)} B"
            return f"{value:.1f} {unit}"
        value /= step
    raise AssertionError("unreachable")


@_export
def human_count(n):
    """Short counts: 950 -> "950", 1200 -> "1.2K", 3400000 -> "3.4M"."""
    for limit, suffix in ((10 ** 9, "B"), (10 ** 6, "M"), (10 ** 3, "K")):
        if abs(n) >= limit:
            return f"{n / limit:.1f}".rstrip("0").rstrip(".") + suffix
    return str(n)


_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
         "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


@_export
def number_to_words(n):
    """English words for 0 <= n < 1_000_000: 342 -> "three hundred forty-two"."""
    if not 0 <= n < 1_000_000:
        raise ValueError("out of range")
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_ONES[hundreds]} hundred" + (f" {number_to_words(rest)}" if rest else "")
    thousands_part, rest = divmod(n, 1000)
    return f"{number_to_words(thousands_part)} thousand" + (f" {number_to_words(rest)}" if rest else "")


@_export
def to_base(n, base, digits="0123456789abcdefghijklmnopqrstuvwxyz"):
    """Integer n written in base (2..36)."""
    if not 2 <= base <= len(digits):
        raise ValueError("bad base")
    if n == 0:
        return "0"
    negative = n < 0
    n = abs(n)
    out = []
    while n:
        n, r = divmod(n, base)
        out.append(digits[r])
    return ("-" if negative else "") + "".join(reversed(out))


@_export
def from_base(text, base):
    """Inverse of to_base."""
    return int(text, base)


_ROMAN = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
          (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


@_export
def to_roman(n):
    """Roman numeral for 1..3999."""
    if not 0 < n < 4000:
        raise ValueError("out of range")
    out = []
    for value, symbol in _ROMAN:
        count, n = divmod(n, value)
        out.append(symbol * count)
    return "".join(out)


# ---------------------------------------------------------------------------
# Units: length
# ---------------------------------------------------------------------------


_METERS_TO_FEET = 3.280839895


@_export
def meters_to_feet(value, digits=None):
    """Convert meters to feet; round to digits when given."""
    result = value * _METERS_TO_FEET
    return round(result, digits) if digits is not None else result


_FEET_TO_METERS = 0.3048


@_export
def feet_to_meters(value, digits=None):
    """Convert feet to meters; round to digits when given."""
    result = value * _FEET_TO_METERS
    return round(result, digits) if digits is not None else result


_KILOMETERS_TO_MILES = 0.621371192


@_export
def kilometers_to_miles(value, digits=None):
    """Convert kilometers to miles; round to digits when given."""
    result = value * _KILOMETERS_TO_MILES
    return round(result, digits) if digits is not None else result


_MILES_TO_KILOMETERS = 1.609344


@_export
def miles_to_kilometers(value, digits=None):
    """Convert miles to kilometers; round to digits when given."""
    result = value * _MILES_TO_KILOMETERS
    return round(result, digits) if digits is not None else result


_INCHES_TO_CENTIMETERS = 2.54


@_export
def inches_to_centimeters(value, digits=None):
    """Convert inches to centimeters; round to digits when given."""
    result = value * _INCHES_TO_CENTIMETERS
    return round(result, digits) if digits is not None else result


_CENTIMETERS_TO_INCHES = 0.39370078740157477


@_export
def centimeters_to_inches(value, digits=None):
    """Convert centimeters to inches; round to digits when given."""
    result = value * _CENTIMETERS_TO_INCHES
    return round(result, digits) if digits is not None else result


_YARDS_TO_METERS = 0.9144


@_export
def yards_to_meters(value, digits=None):
    """Convert yards to meters; round to digits when given."""
    result = value * _YARDS_TO_METERS
    return round(result, digits) if digits is not None else result


_NAUTICAL_MILES_TO_KILOMETERS = 1.852


@_export
def nautical_miles_to_kilometers(value, digits=None):
    """Convert nautical miles to kilometers; round to digits when given."""
    result = value * _NAUTICAL_MILES_TO_KILOMETERS
    return round(result, digits) if digits is not None else result


# ---------------------------------------------------------------------------
# Units: mass
# ---------------------------------------------------------------------------


_KILOGRAMS_TO_POUNDS = 2.2046226218


@_export
def kilograms_to_pounds(value, digits=None):
    """Convert kilograms to pounds; round to digits when given."""
    result = value * _KILOGRAMS_TO_POUNDS
    return round(result, digits) if digits is not None else result


_POUNDS_TO_KILOGRAMS = 0.45359237


@_export
def pounds_to_kilograms(value, digits=None):
    """Convert pounds to kilograms; round to digits when given."""
    result = value * _POUNDS_TO_KILOGRAMS
    return round(result, digits) if digits is not None else result


_OUNCES_TO_GRAMS = 28.349523125


@_export
def ounces_to_grams(value, digits=None):
    """Convert ounces to grams; round to digits when given."""
    result = value * _OUNCES_TO_GRAMS
    return round(result, digits) if digits is not None else result


_GRAMS_TO_OUNCES = 0.035273961949580414


@_export
def grams_to_ounces(value, digits=None):
    """Convert grams to ounces; round to digits when given."""
    result = value * _GRAMS_TO_OUNCES
    return round(result, digits) if digits is not None else result


_STONES_TO_KILOGRAMS = 6.35029318


@_export
def stones_to_kilograms(value, digits=None):
    """Convert stones to kilograms; round to digits when given."""
    result = value * _STONES_TO_KILOGRAMS
    return round(result, digits) if digits is not None else result


# ---------------------------------------------------------------------------
# Units: volume
# ---------------------------------------------------------------------------


_LITERS_TO_GALLONS = 0.2641720524


@_export
def liters_to_gallons(value, digits=None):
    """Convert liters to gallons; round to digits when given."""
    result = value * _LITERS_TO_GALLONS
    return round(result, digits) if digits is not None else result


_GALLONS_TO_LITERS = 3.785411784


@_export
def gallons_to_liters(value, digits=None):
    """Convert gallons to liters; round to digits when given."""
    result = value * _GALLONS_TO_LITERS
    return round(result, digits) if digits is not None else result


_MILLILITERS_TO_FLUID_OUNCES = 0.0338140227


@_export
def milliliters_to_fluid_ounces(value, digits=None):
    """Convert milliliters to fluid ounces; round to digits when given."""
    result = value * _MILLILITERS_TO_FLUID_OUNCES
    return round(result, digits) if digits is not None else result


_FLUID_OUNCES_TO_MILLILITERS = 29.5735295625


@_export
def fluid_ounces_to_milliliters(value, digits=None):
    """Convert fluid ounces to milliliters; round to digits when given."""
    result = value * _FLUID_OUNCES_TO_MILLILITERS
    return round(result, digits) if digits is not None else result


_CUPS_TO_MILLILITERS = 236.5882365


@_export
def cups_to_milliliters(value, digits=None):
    """Convert cups to milliliters; round to digits when given."""
    result = value * _CUPS_TO_MILLILITERS
    return round(result, digits) if digits is not None else result


# ---------------------------------------------------------------------------
# Units: speed
# ---------------------------------------------------------------------------


_KMH_TO_MPH = 0.621371192


@_export
def kmh_to_mph(value, digits=None):
    """Convert kmh to mph; round to digits when given."""
    result = value * _KMH_TO_MPH
    return round(result, digits) if digits is not None else result


_MPH_TO_KMH = 1.609344


@_export
def mph_to_kmh(value, digits=None):
    """Convert mph to kmh; round to digits when given."""
    result = value * _MPH_TO_KMH
    return round(result, digits) if digits is not None else result


_MS_TO_KMH = 3.6


@_export
def ms_to_kmh(value, digits=None):
    """Convert ms to kmh; round to digits when given."""
    result = value * _MS_TO_KMH
    return round(result, digits) if digits is not None else result


_KMH_TO_MS = 0.2777777777777778


@_export
def kmh_to_ms(value, digits=None):
    """Convert kmh to ms; round to digits when given."""
    result = value * _KMH_TO_MS
    return round(result, digits) if digits is not None else result


_KNOTS_TO_KMH = 1.852


@_export
def knots_to_kmh(value, digits=None):
    """Convert knots to kmh; round to digits when given."""
    result = value * _KNOTS_TO_KMH
    return round(result, digits) if digits is not None else result


# ---------------------------------------------------------------------------
# Units: area
# ---------------------------------------------------------------------------


_SQUARE_METERS_TO_SQUARE_FEET = 10.7639104167


@_export
def square_meters_to_square_feet(value, digits=None):
    """Convert square meters to square feet; round to digits when given."""
    result = value * _SQUARE_METERS_TO_SQUARE_FEET
    return round(result, digits) if digits is not None else result


_SQUARE_FEET_TO_SQUARE_METERS = 0.09290304


@_export
def square_feet_to_square_meters(value, digits=None):
    """Convert square feet to square meters; round to digits when given."""
    result = value * _SQUARE_FEET_TO_SQUARE_METERS
    return round(result, digits) if digits is not None else result


_ACRES_TO_HECTARES = 0.40468564224


@_export
def acres_to_hectares(value, digits=None):
    """Convert acres to hectares; round to digits when given."""
    result = value * _ACRES_TO_HECTARES
    return round(result, digits) if digits is not None else result


_HECTARES_TO_ACRES = 2.4710538147


@_export
def hectares_to_acres(value, digits=None):
    """Convert hectares to acres; round to digits when given."""
    result = value * _HECTARES_TO_ACRES
    return round(result, digits) if digits is not None else result


# ---------------------------------------------------------------------------
# Units: energy
# ---------------------------------------------------------------------------


_JOULES_TO_CALORIES = 0.2390057361376673


@_export
def joules_to_calories(value, digits=None):
    """Convert joules to calories; round to digits when given."""
    result = value * _JOULES_TO_CALORIES
    return round(result, digits) if digits is not None else result


_CALORIES_TO_JOULES = 4.184


@_export
def calories_to_joules(value, digits=None):
    """Convert calories to joules; round to digits when given."""
    result = value * _CALORIES_TO_JOULES
    return round(result, digits) if digits is not None else result


_KILOWATT_HOURS_TO_MEGAJOULES = 3.6


@_export
def kilowatt_hours_to_megajoules(value, digits=None):
    """Convert kilowatt hours to megajoules; round to digits when given."""
    result = value * _KILOWATT_HOURS_TO_MEGAJOULES
    return round(result, digits) if digits is not None else result


# ---------------------------------------------------------------------------
# Units: pressure
# ---------------------------------------------------------------------------


_BAR_TO_PSI = 14.503773773


@_export
def bar_to_psi(value, digits=None):
    """Convert bar to psi; round to digits when given."""
    result = value * _BAR_TO_PSI
    return round(result, digits) if digits is not None else result


_PSI_TO_BAR = 0.0689475729


@_export
def psi_to_bar(value, digits=None):
    """Convert psi to bar; round to digits when given."""
    result = value * _PSI_TO_BAR
    return round(result, digits) if digits is not None else result


_ATMOSPHERES_TO_PASCALS = 101325.0


@_export
def atmospheres_to_pascals(value, digits=None):
    """Convert atmospheres to pascals; round to digits when given."""
    result = value * _ATMOSPHERES_TO_PASCALS
    return round(result, digits) if digits is not None else result


# ---------------------------------------------------------------------------
# Units: temperature
# ---------------------------------------------------------------------------


@_export
def celsius_to_fahrenheit(c):
    """Degrees Celsius to degrees Fahrenheit."""
    return c * 9 / 5 + 32


@_export
def fahrenheit_to_celsius(f):
    """Degrees Fahrenheit to degrees Celsius."""
    return (f - 32) * 5 / 9


@_export
def celsius_to_kelvin(c):
    """Degrees Celsius to kelvin; raises ValueError below absolute zero."""
    k = c + 273.15
    if k < 0:
        raise ValueError("below absolute zero")
    return k


@_export
def kelvin_to_celsius(k):
    """Kelvin to degrees Celsius."""
    if k < 0:
        raise ValueError("negative kelvin")
    return k - 273.15


# ---------------------------------------------------------------------------
# Collections: sequences
# ---------------------------------------------------------------------------


@_export
def chunked(items, size):
    """Split items into lists of size elements (the last may be shorter)."""
    if size < 1:
        raise ValueError("size must be positive")
    items = list(items)
    return [items[i:i + size] for i in range(0, len(items), size)]


@_export
def windows(items, size, step=1):
    """Sliding windows of size elements: [1, 2, 3, 4], 2 -> [[1, 2], [2, 3], [3, 4]]."""
    if size < 1 or step < 1:
        raise ValueError("size and step must be positive")
    items = list(items)
    return [items[i:i + size] for i in range(0, len(items) - size + 1, step)]


@_export
def pairwise_list(items):
    """Consecutive pairs: [1, 2, 3] -> [(1, 2), (2, 3)]."""
    items = list(items)
    return list(zip(items, items[1:]))


@_export
def flatten(nested):
    """Flatten one level of nesting."""
    return [x for inner in nested for x in inner]


@_export
def deep_flatten(nested):
    """Flatten arbitrarily nested lists and tuples (strings are not split)."""
    out = []
    for item in nested:
        if isinstance(item, (list, tuple)):
            out.extend(deep_flatten(item))
        else:
            out.append(item)
    return out


@_export
def unique(items, key=None):
    """Items without duplicates, keeping the first occurrence and the original order."""
    seen = set()
    out = []
    for item in items:
        marker = key(item) if key else item
        if marker not in seen:
            seen.add(marker)
            out.append(item)
    return out


@_export
def duplicates(items):
    """Items that occur more than once, in order of their second occurrence."""
    seen = set()
    reported = set()
    out = []
    for item in items:
        if item in seen and item not in reported:
            reported.add(item)
            out.append(item)
        seen.add(item)
    return out


@_export
def first(items, predicate=None, default=None):
    """First item (matching predicate when given), or default."""
    for item in items:
        if predicate is None or predicate(item):
            return item
    return default


@_export
def last(items, predicate=None, default=None):
    """Last item (matching predicate when given), or default."""
    result = default
    for item in items:
        if predicate is None or predicate(item):
            result = item
    return result


@_export
def take(items, n):
    """The first n items as a list."""
    return list(islice(items, n))


@_export
def drop(items, n):
    """All but the first n items as a list."""
    return list(islice(items, n, None))


@_export
def partition(items, predicate):
    """(matching, not_matching) lists."""
    yes, no = [], []
    for item in items:
        (yes if predicate(item) else no).append(item)
    return yes, no


@_export
def interleave(*sequences):
    """Round-robin over sequences: ([1, 2, 3], "ab") -> [1, "a", 2, "b", 3]."""
    marker = object()
    return [x for group in zip_longest(*sequences, fillvalue=marker) for x in group if x is not marker]


@_export
def rotate(items, n):
    """Rotate a list left by n places (right for negative n)."""
    items = list(items)
    if not items:
        return items
    n %= len(items)
    return items[n:] + items[:n]


@_export
def transpose(rows):
    """Swap rows and columns of a rectangular list of lists."""
    return [list(col) for col in zip(*rows)]


@_export
def running_total(numbers):
    """Prefix sums: [1, 2, 3] -> [1, 3, 6]."""
    total = 0
    out = []
    for n in numbers:
        total += n
        out.append(total)
    return out


@_export
def argmax(items):
    """Index of the largest item (first one on ties); None for an empty sequence."""
    best = None
    for i, item in enumerate(items):
        if best is None or item > items[best]:
            best = i
    return best


@_export
def argmin(items):
    """Index of the smallest item (first one on ties); None for an empty sequence."""
    best = None
    for i, item in enumerate(items):
        if best is None or item < items[best]:
            best = i
    return best


@_export
def binary_search(sorted_items, target):
    """Index of target in sorted_items, or -1."""
    low, high = 0, len(sorted_items) - 1
    while low <= high:
        mid = (low + high) // 2
        if sorted_items[mid] == target:
            return mid
        if sorted_items[mid] < target:
            low = mid + 1
        else:
            high = mid - 1
    return -1


# ---------------------------------------------------------------------------
# Collections: mappings
# ---------------------------------------------------------------------------


@_export
def group_by(items, key):
    """Dict from key(item) to the list of items with that key, keys in first-seen order."""
    groups = OrderedDict()
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return dict(groups)


@_export
def count_by(items, key):
    """Dict from key(item) to how many items have that key."""
    counts = defaultdict(int)
    for item in items:
        counts[key(item)] += 1
    return dict(counts)


@_export
def index_by(items, key):
    """Dict from key(item) to the item (later items win)."""
    return {key(item): item for item in items}


@_export
def invert_dict(mapping):
    """Swap keys and values; raises ValueError when values repeat."""
    out = {}
    for k, v in mapping.items():
        if v in out:
            raise ValueError(f"duplicate value {v!r}")
        out[v] = k
    return out


@_export
def merge_dicts(*dicts):
    """Shallow merge, later dicts win."""
    out = {}
    for d in dicts:
        out.update(d)
    return out


@_export
def deep_merge(base, override):
    """Recursive merge of nested dicts; values in override win, base is not modified."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


@_export
def pick(mapping, keys):
    """Sub-dict with only the given keys (missing keys are skipped)."""
    return {k: mapping[k] for k in keys if k in mapping}


@_export
def omit(mapping, keys):
    """Copy of mapping without the given keys."""
    keys = set(keys)
    return {k: v for k, v in mapping.items() if k not in keys}


@_export
def get_path(mapping, path, default=None, sep="."):
    """Nested lookup: get_path({"a": {"b": 1}}, "a.b") -> 1."""
    current = mapping
    for part in path.split(sep):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return default
    return current


@_export
def set_path(mapping, path, value, sep="."):
    """Nested assignment creating intermediate dicts: set_path(d, "a.b", 1)."""
    parts = path.split(sep)
    current = mapping
    for part in parts[:-1]:
        current = current.setdefault(part, {})
    current[parts[-1]] = value
    return mapping


@_export
def flatten_dict(mapping, sep=".", prefix=""):
    """{"a": {"b": 1}} -> {"a.b": 1}."""
    out = {}
    for key, value in mapping.items():
        full = f"{prefix}{sep}{key}" if prefix else str(key)
        if isinstance(value, dict) and value:
            out.update(flatten_dict(value, sep, full))
        else:
            out[full] = value
    return out


@_export
def unflatten_dict(mapping, sep="."):
    """Inverse of flatten_dict."""
    out = {}
    for key, value in mapping.items():
        set_path(out, key, value, sep)
    return out


@_export
def sort_dict(mapping, by_value=False, reverse=False):
    """New dict ordered by key (or by value)."""
    index = 1 if by_value else 0
    return dict(sorted(mapping.items(), key=lambda kv: kv[index], reverse=reverse))


@_export
def most_common(items, n=1):
    """The n most common items (ties in first-seen order)."""
    return [item for item, _ in Counter(items).most_common(n)]


# ---------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------


@_export
def mean(values):
    """Arithmetic mean; ValueError for no values."""
    values = list(values)
    if not values:
        raise ValueError("mean of no values")
    return sum(values) / len(values)


@_export
def median(values):
    """Middle value (mean of the two middle ones for an even count)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("median of no values")
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


@_export
def mode(values):
    """Most common value (first seen wins ties)."""
    values = list(values)
    if not values:
        raise ValueError("mode of no values")
    return Counter(values).most_common(1)[0][0]


@_export
def variance(values, sample=False):
    """Population variance (sample variance when sample=True)."""
    values = list(values)
    n = len(values)
    if n < (2 if sample else 1):
        raise ValueError("not enough values")
    m = sum(values) / n
    return sum((v - m) ** 2 for v in values) / (n - 1 if sample else n)


@_export
def stdev(values, sample=False):
    """Square root of variance()."""
    return math.sqrt(variance(values, sample))


@_export
def percentile(values, p):
    """p-th percentile (0..100) with linear interpolation between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 100:
        raise ValueError("p out of range")
    position = (len(ordered) - 1) * p / 100
    low = math.floor(position)
    high = math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@_export
def normalize(values):
    """Scale values linearly onto 0..1 (all zeros when they are all equal)."""
    values = list(values)
    if not values:
        return []
    low, high = min(values), max(values)
    if low == high:
        return [0.0 for _ in values]
    return [(v - low) / (high - low) for v in values]


@_export
def moving_average(values, window):
    """Averages of each run of window consecutive values."""
    return [sum(w) / window for w in windows(values, window)]


@_export
def histogram(values, bins, low=None, high=None):
    """Counts of values in bins equal-width bins over [low, high]."""
    values = list(values)
    if bins < 1:
        raise ValueError("bins must be positive")
    low = min(values) if low is None else low
    high = max(values) if high is None else high
    counts = [0] * bins
    width = (high - low) / bins or 1
    for v in values:
        if low <= v <= high:
            counts[min(int((v - low) / width), bins - 1)] += 1
    return counts


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------

_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_HOSTNAME_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


@_export
def is_email(text):
    """Loose e-mail address check: local@domain.tld."""
    return bool(_EMAIL.match(text))


@_export
def is_hostname(text):
    """RFC 1123 host name (labels of letters, digits and inner hyphens)."""
    if not text or len(text) > 253:
        return False
    return all(_HOSTNAME_LABEL.match(label) for label in text.rstrip(".").split("."))


@_export
def is_ipv4(text):
    """Dotted-quad IPv4 address without leading zeros."""
    parts = text.split(".")
    if len(parts) != 4:
        return False
    for part in parts:
        if not part.isdigit() or (len(part) > 1 and part[0] == "0") or int(part) > 255:
            return False
    return True


@_export
def is_hex_color(text):
    """"#abc" or "#a1b2c3"."""
    return bool(re.fullmatch(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", text))


@_export
def luhn_valid(number):
    """Luhn checksum test for card numbers (spaces and dashes are ignored)."""
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) < 2 or any(c not in "0123456789 -" for c in number):
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


@_export
def isbn10_valid(text):
    """ISBN-10 check digit test (hyphens ignored, final X means 10)."""
    chars = text.replace("-", "").upper()
    if len(chars) != 10 or not chars[:9].isdigit() or not (chars[9].isdigit() or chars[9] == "X"):
        return False
    total = sum((10 - i) * int(c) for i, c in enumerate(chars[:9]))
    total += 10 if chars[9] == "X" else int(chars[9])
    return total % 11 == 0


@_export
def isbn13_valid(text):
    """ISBN-13 check digit test (hyphens ignored)."""
    chars = text.replace("-", "")
    if len(chars) != 13 or not chars.isdigit():
        return False
    total = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(chars))
    return total % 10 == 0


@_export
def is_identifier(text):
    """Valid Python identifier that is not a keyword-looking dunder."""
    return text.isidentifier() and not (text.startswith("__") and text.endswith("__"))


@_export
def password_strength(password):
    """Score 0..4: one point each for length >= 12, mixed case, a digit and a symbol."""
    score = 0
    if len(password) >= 12:
        score += 1
    if any(c.islower() for c in password) and any(c.isupper() for c in password):
        score += 1
    if any(c.isdigit() for c in password):
        score += 1
    if any(not c.isalnum() for c in password):
        score += 1
    return score


# ---------------------------------------------------------------------------
# Dates and durations (no datetime objects, plain integers)
# ---------------------------------------------------------------------------

_MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
_MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December"]


@_export
def is_leap_year(year):
    """Gregorian leap year rule."""
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


@_export
def days_in_month(year, month):
    """Days in month 1..12 of year."""
    if not 1 <= month <= 12:
        raise ValueError("month out of range")
    return 29 if month == 2 and is_leap_year(year) else _MONTH_DAYS[month - 1]


@_export
def day_of_year(year, month, day):
    """1-based day number within the year."""
    return sum(days_in_month(year, m) for m in range(1, month)) + day


@_export
def month_name(month, short=False):
    """English month name for 1..12."""
    name = _MONTH_NAMES[month - 1]
    return name[:3] if short else name


@_export
def parse_iso_date(text):
    """(year, month, day) from "YYYY-MM-DD"; ValueError when invalid."""
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text.strip())
    if not match:
        raise ValueError(f"not an ISO date: {text!r}")
    year, month, day = (int(g) for g in match.groups())
    if not 1 <= month <= 12 or not 1 <= day <= days_in_month(year, month):
        raise ValueError(f"no such date: {text!r}")
    return year, month, day


_DURATION_UNITS = [("d", 86400), ("h", 3600), ("m", 60), ("s", 1)]


@_export
def parse_duration(text):
    """Seconds in "1h30m", "45s", "2d 4h"; ValueError when nothing matches."""
    total = 0
    found = False
    for number, unit in re.findall(r"(\d+)\s*([dhms])", text.lower()):
        total += int(number) * dict(_DURATION_UNITS)[unit]
        found = True
    if not found:
        raise ValueError(f"not a duration: {text!r}")
    return total


@_export
def format_duration(seconds):
    """Compact duration: 5400 -> "1h30m", 0 -> "0s"."""
    if seconds < 0:
        raise ValueError("negative duration")
    if seconds == 0:
        return "0s"
    parts = []
    for unit, size in _DURATION_UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


@_export
def format_clock(seconds):
    """"H:MM:SS" for a number of seconds."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


@_export
def time_ago(seconds):
    """Rough English age: "just now", "5 minutes ago", "1 day ago"."""
    if seconds < 45:
        return "just now"
    for size, word in ((86400 * 365, "year"), (86400 * 30, "month"), (86400, "day"),
                       (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = round(seconds / size)
            return f"{quantity(count, word)} ago"
    return f"{quantity(round(seconds / 60), 'minute')} ago"


# ---------------------------------------------------------------------------
# Colors
# ---------------------------------------------------------------------------


@_export
def hex_to_rgb(color):
    """"#ff8000" or "#f80" -> (255, 128, 0)."""
    if not is_hex_color(color):
        raise ValueError(f"not a hex color: {color!r}")
    digits = color[1:]
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return tuple(int(digits[i:i + 2], 16) for i in (0, 2, 4))


@_export
def rgb_to_hex(r, g, b):
    """(255, 128, 0) -> "#ff8000"."""
    for channel in (r, g, b):
        if not 0 <= channel <= 255:
            raise ValueError("channel out of range")
    return f"#{r:02x}{g:02x}{b:02x}"


@_export
def blend(color_a, color_b, t=0.5):
    """Mix two hex colors; t=0 gives color_a, t=1 color_b."""
    a = hex_to_rgb(color_a)
    b = hex_to_rgb(color_b)
    return rgb_to_hex(*(round(lerp(x, y, t)) for x, y in zip(a, b)))


@_export
def luminance(color):
    """Relative luminance (WCAG) of a hex color, 0..1."""
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in hex_to_rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@_export
def contrast_ratio(color_a, color_b):
    """WCAG contrast ratio between two hex colors, 1..21."""
    la, lb = sorted((luminance(color_a), luminance(color_b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


# ---------------------------------------------------------------------------
# Paths and URLs (string based)
# ---------------------------------------------------------------------------


@_export
def file_extension(path):
    """Extension without the dot, lower-cased; "" for none or dotfiles."""
    name = path.rsplit("/", 1)[-1]
    if name.startswith(".") and name.count(".") == 1:
        return ""
    return name.rsplit(".", 1)[1].lower() if "." in name else ""


@_export
def change_extension(path, extension):
    """Replace (or add) the extension of path."""
    head, _, name = path.rpartition("/")
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    new = f"{stem}.{extension.lstrip('.')}" if extension else stem
    return f"{head}/{new}" if head or path.startswith("/") else new


@_export
def join_url(base, *parts):
    """Join URL path parts with single slashes."""
    url = base.rstrip("/")
    for part in parts:
        url += "/" + str(part).strip("/")
    return url


@_export
def parse_query(query):
    """"a=1&b=two&a=3" -> {"a": ["1", "3"], "b": ["two"]} (no percent-decoding)."""
    out = {}
    for pair in query.lstrip("?").split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        out.setdefault(key, []).append(value)
    return out


@_export
def build_query(params):
    """Inverse of parse_query for dicts of strings or lists of strings."""
    pairs = []
    for key, value in params.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        pairs.extend(f"{key}={v}" for v in values)
    return "&".join(pairs)


__all__.sort()
