import pytest

from roman import from_roman, to_roman


def test_hidden_round_trip():
    for n in range(1, 4000):
        assert from_roman(to_roman(n)) == n


def test_hidden_mixed_case_and_invalid():
    assert from_roman("mMxIx") == 2019
    with pytest.raises(ValueError):
        from_roman("12")
    with pytest.raises(ValueError):
        from_roman("X I")
