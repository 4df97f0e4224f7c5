#!/bin/sh
# Success: the tests pass, test_report.py is unchanged, and hidden report tests pass.
TASK_DIR=${TASK_DIR:-$(cd "$(dirname "$0")" && pwd)}
cmp -s "$TASK_DIR/repo/test_report.py" test_report.py || exit 1
python3 -m pytest -q -p no:cacheprovider >/dev/null 2>&1 || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp -R . "$tmp/w" && cp "$TASK_DIR/hidden/test_hidden_report.py" "$tmp/w/" || exit 1
cd "$tmp/w" && python3 -m pytest -q -p no:cacheprovider >/dev/null 2>&1
