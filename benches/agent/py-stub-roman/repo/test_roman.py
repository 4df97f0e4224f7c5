import pytest

from roman import from_roman, to_roman


def test_to_roman():
    assert to_roman(1994) == "MCMXCIV"
    assert to_roman(3888) == "MMMDCCCLXXXVIII"


def test_from_roman_simple():
    assert from_roman("III") == 3
    assert from_roman("LX") == 60


def test_from_roman_subtractive():
    assert from_roman("IV") == 4
    assert from_roman("MCMXCIV") == 1994


def test_from_roman_lowercase():
    assert from_roman("xlii") == 42


def test_from_roman_invalid():
    with pytest.raises(ValueError):
        from_roman("XIZ")
    with pytest.raises(ValueError):
        from_roman("")
