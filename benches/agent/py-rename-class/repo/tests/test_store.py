import pytest

from inventory import StockItem, Store


def test_create_and_get():
    store = Store()
    item = store.create("A1", "bolt", 0.25, 100)
    assert isinstance(item, StockItem)
    assert store.get("A1") is item


def test_duplicate_sku():
    store = Store()
    store.add(StockItem("A1", "bolt", 0.25))
    with pytest.raises(KeyError):
        store.add(StockItem("A1", "nut", 0.1))


def test_sell_and_receive():
    store = Store()
    store.create("B2", "washer", 0.05, 3)
    store.sell("B2", 2)
    store.receive("B2", 10)
    assert store.get("B2").quantity == 11
    with pytest.raises(ValueError):
        store.sell("B2", 12)
