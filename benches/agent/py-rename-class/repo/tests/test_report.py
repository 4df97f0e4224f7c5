from inventory.models import StockItem
from inventory.report import describe, low_stock, total_value


ITEMS = [StockItem("A1", "bolt", 0.5, 10), StockItem("C3", "gear", 4.0, 2)]


def test_total_value():
    assert total_value(ITEMS) == 13.0


def test_low_stock():
    assert low_stock(ITEMS) == ["C3"]


def test_describe():
    assert describe(ITEMS[1]) == "C3 gear: 2 @ 4.00"
