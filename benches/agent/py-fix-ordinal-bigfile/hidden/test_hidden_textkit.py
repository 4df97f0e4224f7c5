import textkit as tk


def test_hidden_ordinal_all_teens():
    expected = {0: "0th", 1: "1st", 11: "11th", 12: "12th", 13: "13th", 14: "14th", 101: "101st",
                102: "102nd", 111: "111th", 112: "112th", 113: "113th", 212: "212th", 1013: "1013th",
                1021: "1021st", 2002: "2002nd", 93: "93rd"}
    assert {n: tk.ordinal(n) for n in expected} == expected


def test_hidden_rest_of_module_intact():
    # Functions spread over the whole file, to catch an edit that breaks or drops other code.
    assert tk.pascal_case("make it so") == "MakeItSo"
    assert tk.common_prefix(["interstellar", "internet", "interval"]) == "inter"
    assert tk.rot13(tk.rot13("Hello")) == "Hello"
    assert tk.format_table([[1, "a"]], headers=["n", "s"]).splitlines()[0].split() == ["n", "s"]
    assert tk.round_half_up(2.5) == 3
    assert tk.divisors(28) == [1, 2, 4, 7, 14, 28]
    assert tk.to_roman(1994) == "MCMXCIV"
    assert round(tk.miles_to_kilometers(10), 3) == 16.093
    assert tk.celsius_to_fahrenheit(100) == 212
    assert tk.rotate([1, 2, 3, 4], 1) == [2, 3, 4, 1]
    assert tk.deep_merge({"a": {"b": 1}}, {"a": {"c": 2}}) == {"a": {"b": 1, "c": 2}}
    assert tk.isbn13_valid("978-0-306-40615-7")
    assert tk.format_clock(3725) == "1:02:05"
    assert tk.parse_query("a=1&b=2&a=3") == {"a": ["1", "3"], "b": ["2"]}
    assert tk.change_extension("docs/readme.txt", "md") == "docs/readme.md"
    assert "ordinal" in tk.__all__ and "build_query" in tk.__all__
