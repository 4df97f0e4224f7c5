from dates import day_of_year, days_in_month, is_leap_year


def test_hidden_centuries():
    assert is_leap_year(1600)
    assert is_leap_year(2400)
    assert not is_leap_year(2100)
    assert not is_leap_year(1800)


def test_hidden_uses_rule_everywhere():
    assert days_in_month(2000, 2) == 29
    assert day_of_year(2000, 12, 31) == 366
    assert day_of_year(1900, 12, 31) == 365
