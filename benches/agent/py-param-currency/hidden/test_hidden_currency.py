from invoice import Invoice
from money import format_price
from receipt import receipt_lines


def test_hidden_format_price_currencies():
    assert format_price(1234.5, "EUR") == "€1,234.50"
    assert format_price(-3, "GBP") == "-£3.00"
    assert format_price(12, "CHF") == "12.00 CHF"
    assert format_price(7, currency="USD") == "$7.00"
    assert format_price(7) == "$7.00"


def test_hidden_invoice_in_euros():
    inv = Invoice("Initech", currency="EUR", tax_rate=0.2)
    inv.add_line("stapler", 1, 10.0)
    assert inv.render().splitlines() == [
        "Invoice for Initech",
        "1 x stapler @ €10.00",
        "Subtotal: €10.00",
        "Tax: €2.00",
        "Total: €12.00",
    ]


def test_hidden_invoice_other_code():
    inv = Invoice("Globex", currency="JPY")
    inv.add_line("tea", 3, 2.0)
    assert inv.render().splitlines()[1:] == ["3 x tea @ 2.00 JPY", "Subtotal: 6.00 JPY", "Total: 6.00 JPY"]


def test_hidden_receipt_in_pounds():
    lines = receipt_lines({"items": [("scone", 2.25), ("tea", 1.5)], "paid": 5, "currency": "GBP"})
    assert [line.split() for line in lines] == [
        ["scone", "£2.25"],
        ["tea", "£1.50"],
        ["TOTAL", "£3.75"],
        ["PAID", "£5.00"],
        ["CHANGE", "£1.25"],
    ]


def test_hidden_receipt_default_dollars():
    assert receipt_lines({"items": [("pen", 1)]})[0].split() == ["pen", "$1.00"]
