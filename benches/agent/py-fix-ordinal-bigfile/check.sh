#!/bin/sh
# Success: test_textkit.py is unchanged and passes, and hidden tests pass (ordinal for more
# numbers, plus a sample of functions from the whole of textkit.py, so a rewrite that drops or
# breaks other code fails).
TASK_DIR=${TASK_DIR:-$(cd "$(dirname "$0")" && pwd)}
cmp -s "$TASK_DIR/repo/test_textkit.py" test_textkit.py || exit 1
python3 -m pytest -q -p no:cacheprovider >/dev/null 2>&1 || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp -R . "$tmp/w" && cp "$TASK_DIR/hidden/test_hidden_textkit.py" "$tmp/w/" || exit 1
cd "$tmp/w" && python3 -m pytest -q -p no:cacheprovider >/dev/null 2>&1
