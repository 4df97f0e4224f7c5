"""Loading and saving StockItem records as CSV text."""

import csv
import io

from inventory.models import StockItem

FIELDS = ["sku", "name", "unit_price", "quantity"]


def load(text):
    """Parse CSV text with a header row into a list of StockItem."""
    reader = csv.DictReader(io.StringIO(text))
    return [
        StockItem(row["sku"], row["name"], float(row["unit_price"]), int(row["quantity"]))
        for row in reader
    ]


def dump(items):
    """CSV text (with a header row) for the given items."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for item in items:
        writer.writerow([item.sku, item.name, f"{item.unit_price:.2f}", item.quantity])
    return out.getvalue()
