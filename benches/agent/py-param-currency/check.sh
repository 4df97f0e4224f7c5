#!/bin/sh
# Success: the existing tests pass unchanged, and hidden tests of the currency parameter
# (format_price, Invoice.render, receipt_lines) pass.
TASK_DIR=${TASK_DIR:-$(cd "$(dirname "$0")" && pwd)}
cmp -s "$TASK_DIR/repo/test_billing.py" test_billing.py || exit 1
python3 -m pytest -q -p no:cacheprovider >/dev/null 2>&1 || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp -R . "$tmp/w" && cp "$TASK_DIR/hidden/test_hidden_currency.py" "$tmp/w/" || exit 1
cd "$tmp/w" && python3 -m pytest -q -p no:cacheprovider >/dev/null 2>&1
