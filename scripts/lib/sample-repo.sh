# The small sample repository the fresh-machine walkthrough and the user guide's doc test work
# in: an invoicing tool in Python (README, invoicer/totals.py with `invoice_total`, cli.py),
# committed. Source this file, then `make_sample_repo DIR`.
make_sample_repo() {
  local proj=$1
  mkdir -p "$proj/invoicer"
  cat > "$proj/README.md" <<'MD'
# invoicer

Command-line tool for small businesses.
MD
  cat > "$proj/invoicer/totals.py" <<'PY'
"""Invoice arithmetic."""


def invoice_total(lines, tax_rate):
    """Sum of quantity × unit price over the invoice lines, plus tax at tax_rate."""
    subtotal = sum(qty * price for qty, price in lines)
    return round(subtotal * (1 + tax_rate), 2)


def format_amount(amount, currency="EUR"):
    """The amount with two decimals and its currency code."""
    return f"{amount:.2f} {currency}"
PY
  cat > "$proj/invoicer/cli.py" <<'PY'
"""Reads invoice lines from a CSV file and prints the total."""

import csv
import sys

from invoicer.totals import format_amount, invoice_total


def main():
    with open(sys.argv[1], newline="") as f:
        lines = [(int(q), float(p)) for q, p in csv.reader(f)]
    print(format_amount(invoice_total(lines, 0.2)))
PY
  git -C "$proj" init -q && git -C "$proj" add -A \
    && git -C "$proj" -c user.name=sample -c user.email=sample@example.com commit -qm init
}
