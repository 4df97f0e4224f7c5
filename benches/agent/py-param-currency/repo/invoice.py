"""Invoices made of priced lines."""

from money import format_price


class Invoice:
    def __init__(self, customer, currency="USD", tax_rate=0.0):
        self.customer = customer
        self.currency = currency
        self.tax_rate = tax_rate
        self.lines = []

    def add_line(self, description, quantity, unit_price):
        self.lines.append((description, quantity, unit_price))

    def subtotal(self):
        return sum(quantity * unit_price for _, quantity, unit_price in self.lines)

    def tax(self):
        return round(self.subtotal() * self.tax_rate, 2)

    def total(self):
        return self.subtotal() + self.tax()

    def render(self):
        """The invoice as text, one line per item followed by the totals."""
        out = [f"Invoice for {self.customer}"]
        for description, quantity, unit_price in self.lines:
            out.append(f"{quantity} x {description} @ {format_price(unit_price)}")
        out.append(f"Subtotal: {format_price(self.subtotal())}")
        if self.tax_rate:
            out.append(f"Tax: {format_price(self.tax())}")
        out.append(f"Total: {format_price(self.total())}")
        return "\n".join(out)
