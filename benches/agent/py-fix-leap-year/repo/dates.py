"""Calendar arithmetic without the datetime module (proleptic Gregorian calendar)."""

DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def is_leap_year(year):
    """True for Gregorian leap years: divisible by 4, except centuries not divisible by 400."""
    return year % 4 == 0 and year % 100 != 0


def days_in_month(year, month):
    """Number of days in month (1-12) of year."""
    if not 1 <= month <= 12:
        raise ValueError(f"bad month {month}")
    if month == 2 and is_leap_year(year):
        return 29
    return DAYS_IN_MONTH[month - 1]


def day_of_year(year, month, day):
    """1-based ordinal of the date within its year (1 January is 1)."""
    if not 1 <= day <= days_in_month(year, month):
        raise ValueError(f"bad day {day}")
    return sum(days_in_month(year, m) for m in range(1, month)) + day
