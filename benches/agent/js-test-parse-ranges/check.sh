#!/bin/sh
# Success: ranges.js is unchanged, test/ranges.test.js has more tests than before and they pass,
# and they FAIL when ranges.js is replaced by a seeded mutant (hidden/ranges_mutant.js: ranges
# treated as end-exclusive).
TASK_DIR=${TASK_DIR:-$(cd "$(dirname "$0")" && pwd)}
cmp -s "$TASK_DIR/repo/ranges.js" ranges.js || exit 1
f=test/ranges.test.js
[ -f "$f" ] || exit 1
old=$(grep -c "^test(" "$TASK_DIR/repo/$f")
new=$(grep -c "^test(" "$f")
[ "$new" -gt "$old" ] || exit 1
grep -q parseRanges "$f" || exit 1
node --test >/dev/null 2>&1 || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp -R . "$tmp/w" && cp "$TASK_DIR/hidden/ranges_mutant.js" "$tmp/w/ranges.js" || exit 1
cd "$tmp/w" && ! node --test >/dev/null 2>&1
