"""Money formatting."""


def format_price(amount):
    """Format amount with two decimals and thousands separators, e.g. "$1,234.50".

    Negative amounts get a leading minus sign: "-$3.00".
    """
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def parse_price(text):
    """Inverse of format_price for dollar amounts: "$1,234.50" -> 1234.5."""
    text = text.strip()
    negative = text.startswith("-")
    digits = text.lstrip("-").lstrip("$").replace(",", "")
    value = float(digits)
    return -value if negative else value
