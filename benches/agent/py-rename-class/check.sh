#!/bin/sh
# Success: no Python file mentions StockItem, inventory/models.py defines class Product, the
# tests pass, and the expected renamed tests (hidden/tests) pass against the code.
TASK_DIR=${TASK_DIR:-$(cd "$(dirname "$0")" && pwd)}
grep -rq StockItem --include='*.py' . && exit 1
grep -q '^class Product\b' inventory/models.py || exit 1
python3 -m pytest -q -p no:cacheprovider >/dev/null 2>&1 || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp -R . "$tmp/w" && rm -rf "$tmp/w/tests" && cp -R "$TASK_DIR/hidden/tests" "$tmp/w/tests" || exit 1
cd "$tmp/w" && python3 -m pytest -q -p no:cacheprovider >/dev/null 2>&1
