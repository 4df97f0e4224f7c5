"""The store keeps StockItem records by SKU."""

from inventory.models import StockItem


class Store:
    def __init__(self):
        self._items = {}

    def add(self, item: StockItem):
        if item.sku in self._items:
            raise KeyError(f"duplicate sku {item.sku}")
        self._items[item.sku] = item

    def create(self, sku, name, unit_price, quantity=0) -> StockItem:
        item = StockItem(sku, name, unit_price, quantity)
        self.add(item)
        return item

    def get(self, sku) -> StockItem:
        return self._items[sku]

    def receive(self, sku, count):
        """Add count units of an existing item."""
        self._items[sku].quantity += count

    def sell(self, sku, count):
        """Remove count units; raises ValueError when there are not enough."""
        item = self._items[sku]
        if count > item.quantity:
            raise ValueError(f"only {item.quantity} of {sku} left")
        item.quantity -= count

    def items(self):
        return sorted(self._items.values(), key=lambda item: item.sku)
