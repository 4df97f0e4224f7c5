"""Descriptive statistics for small lists of numbers."""


def mean(values):
    """Arithmetic mean of values; raises ValueError when values is empty."""
    if not values:
        raise ValueError("mean of empty list")
    return sum(values) / len(values)


def median(values):
    """Middle value of values once sorted.

    For an even number of values this is the mean of the two middle ones.
    Raises ValueError when values is empty.
    """
    if not values:
        raise ValueError("median of empty list")
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2 == 1:
        return ordered[mid]
    return (ordered[mid] + ordered[mid + 1]) / 2


def value_range(values):
    """Difference between the largest and the smallest value."""
    if not values:
        raise ValueError("range of empty list")
    return max(values) - min(values)
