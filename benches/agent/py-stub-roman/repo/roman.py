"""Conversion between integers and Roman numerals."""

NUMERALS = [
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
]

VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def to_roman(number):
    """Roman numeral for number, which must be in 1..3999."""
    if not 0 < number < 4000:
        raise ValueError(f"{number} is out of range")
    parts = []
    for value, symbol in NUMERALS:
        count, number = divmod(number, value)
        parts.append(symbol * count)
    return "".join(parts)


def from_roman(text):
    """Integer value of the Roman numeral text.

    Letters may be upper or lower case. A symbol written before a larger one is
    subtracted (IV is 4, XC is 90, MCMXCIV is 1994); otherwise values add up.
    Raises ValueError if text is empty or contains a character that is not one of
    I, V, X, L, C, D, M.
    """
    raise NotImplementedError
