"""A small in-memory inventory."""

from inventory.models import StockItem
from inventory.store import Store

__all__ = ["StockItem", "Store"]
