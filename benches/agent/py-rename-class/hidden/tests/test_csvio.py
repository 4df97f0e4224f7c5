from inventory.csvio import dump, load
from inventory.models import Product


def test_round_trip():
    items = [Product("A1", "bolt", 0.25, 100), Product("B2", "washer, steel", 0.05, 7)]
    assert load(dump(items)) == items


def test_dump_header():
    assert dump([]).splitlines() == ["sku,name,unit_price,quantity"]
