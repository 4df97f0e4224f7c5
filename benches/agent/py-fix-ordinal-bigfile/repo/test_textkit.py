import pytest

import textkit as tk


def test_case_conversions():
    assert tk.snake_case("parseHTTPRequest") == "parse_http_request"
    assert tk.camel_case("hello big world") == "helloBigWorld"
    assert tk.kebab_case("HelloBigWorld") == "hello-big-world"


def test_truncate():
    assert tk.truncate("hello world", 8) == "hello..."
    assert tk.truncate_middle("abcdefghij", 7) == "ab...ij"


def test_levenshtein():
    assert tk.levenshtein("kitten", "sitting") == 3
    assert tk.closest_match("aple", ["apply", "apple", "maple"]) == "apple"


def test_slugify():
    assert tk.slugify("Crème Brûlée, Now!") == "creme-brulee-now"


def test_join_human():
    assert tk.join_human(["a", "b", "c"]) == "a, b and c"
    assert tk.quantity(1, "file") == "1 file"
    assert tk.quantity(3, "city") == "3 cities"


def test_parse_size():
    assert tk.parse_size("4k") == 4096
    assert tk.parse_size("1.5 MiB") == 1572864


def test_primes():
    assert tk.primes_up_to(20) == [2, 3, 5, 7, 11, 13, 17, 19]
    assert tk.prime_factors(360) == [2, 2, 2, 3, 3, 5]


def test_ordinal_basic():
    assert [tk.ordinal(n) for n in (1, 2, 3, 4, 21, 22, 23, 100)] == [
        "1st", "2nd", "3rd", "4th", "21st", "22nd", "23rd", "100th",
    ]


def test_ordinal_teens():
    assert tk.ordinal(11) == "11th"
    assert tk.ordinal(12) == "12th"
    assert tk.ordinal(13) == "13th"


def test_human_bytes():
    assert tk.human_bytes(512) == "512 B"
    assert tk.human_bytes(1536) == "1.5 KiB"


def test_number_to_words():
    assert tk.number_to_words(342) == "three hundred forty-two"
    assert tk.number_to_words(12005) == "twelve thousand five"


def test_chunked_and_windows():
    assert tk.chunked(range(5), 2) == [[0, 1], [2, 3], [4]]
    assert tk.windows([1, 2, 3, 4], 3) == [[1, 2, 3], [2, 3, 4]]


def test_nested_paths():
    data = tk.unflatten_dict({"db.host": "x", "db.port": 5432})
    assert tk.get_path(data, "db.port") == 5432
    assert tk.flatten_dict(data) == {"db.host": "x", "db.port": 5432}


def test_statistics():
    assert tk.median([4, 1, 3, 2]) == 2.5
    assert tk.percentile([1, 2, 3, 4, 5], 25) == 2


def test_validation():
    assert tk.is_ipv4("192.168.0.1")
    assert not tk.is_ipv4("192.168.00.1")
    assert tk.luhn_valid("4111-1111-1111-1111")


def test_durations():
    assert tk.parse_duration("1h30m") == 5400
    assert tk.format_duration(3725) == "1h2m5s"


def test_colors():
    assert tk.hex_to_rgb("#f80") == (255, 136, 0)
    assert tk.blend("#000000", "#ffffff") == "#808080"


def test_bad_width():
    with pytest.raises(ValueError):
        tk.wrap_text("x", 0)
