"""Data model."""

from dataclasses import dataclass


@dataclass
class StockItem:
    """One kind of product kept in stock."""

    sku: str
    name: str
    unit_price: float
    quantity: int = 0

    def value(self):
        """Total value of the units in stock."""
        return self.unit_price * self.quantity

    def is_low(self, threshold=5):
        """True when fewer than threshold units are left."""
        return self.quantity < threshold
