#!/bin/sh
# Success: textfmt.py is unchanged, test_textfmt.py has more test functions than before and they
# pass, and they FAIL when wrap() is replaced by a seeded mutant (hidden/textfmt_mutant.py: `<`
# instead of `<=`, so a line exactly `width` long is split).
TASK_DIR=${TASK_DIR:-$(cd "$(dirname "$0")" && pwd)}
cmp -s "$TASK_DIR/repo/textfmt.py" textfmt.py || exit 1
[ -f test_textfmt.py ] || exit 1
old=$(grep -c '^def test_' "$TASK_DIR/repo/test_textfmt.py")
new=$(grep -c '^def test_' test_textfmt.py)
[ "$new" -gt "$old" ] || exit 1
grep -q 'wrap' test_textfmt.py || exit 1
python3 -m pytest -q -p no:cacheprovider >/dev/null 2>&1 || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp -R . "$tmp/w" && cp "$TASK_DIR/hidden/textfmt_mutant.py" "$tmp/w/textfmt.py" || exit 1
cd "$tmp/w" && ! python3 -m pytest -q -p no:cacheprovider >/dev/null 2>&1
