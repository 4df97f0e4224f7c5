from invoice import Invoice
from money import format_price, parse_price
from receipt import receipt_lines


def test_format_price():
    assert format_price(1234.5) == "$1,234.50"
    assert format_price(-3) == "-$3.00"


def test_parse_price():
    assert parse_price("$1,234.50") == 1234.5


def test_invoice_render():
    inv = Invoice("ACME", tax_rate=0.1)
    inv.add_line("widget", 2, 5.0)
    assert inv.render().splitlines() == [
        "Invoice for ACME",
        "2 x widget @ $5.00",
        "Subtotal: $10.00",
        "Tax: $1.00",
        "Total: $11.00",
    ]


def test_receipt_lines():
    lines = receipt_lines({"items": [("coffee", 3.5)], "paid": 5})
    assert lines[0].split() == ["coffee", "$3.50"]
    assert lines[-1].split() == ["CHANGE", "$1.50"]
