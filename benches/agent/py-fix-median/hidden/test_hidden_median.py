from stats import median


def test_hidden_median_two_values():
    assert median([10, 20]) == 15


def test_hidden_median_six_values():
    assert median([6, 1, 5, 2, 4, 3]) == 3.5


def test_hidden_median_unsorted_duplicates():
    assert median([7, 7, 1, 9]) == 7


def test_hidden_median_single():
    assert median([42]) == 42
