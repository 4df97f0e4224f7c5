"""Point-of-sale receipts.

An order is a dict: {"items": [(name, price), ...], "paid": 20.0} and may have a
"currency" key (a currency code, "USD" when missing).
"""

from money import format_price


def receipt_lines(order):
    """Lines of the printed receipt: items, total, amount paid and change."""
    lines = [f"{name:<20}{format_price(price):>12}" for name, price in order["items"]]
    total = sum(price for _, price in order["items"])
    lines.append(f"{'TOTAL':<20}{format_price(total):>12}")
    paid = order.get("paid", total)
    lines.append(f"{'PAID':<20}{format_price(paid):>12}")
    lines.append(f"{'CHANGE':<20}{format_price(paid - total):>12}")
    return lines
