"""Text reports about a store."""

from typing import Iterable

from inventory.models import StockItem


def total_value(items: Iterable[StockItem]) -> float:
    return sum(item.value() for item in items)


def low_stock(items: Iterable[StockItem], threshold=5):
    """SKUs of the items that are running low."""
    return [item.sku for item in items if item.is_low(threshold)]


def describe(item: StockItem) -> str:
    return f"{item.sku} {item.name}: {item.quantity} @ {item.unit_price:.2f}"
