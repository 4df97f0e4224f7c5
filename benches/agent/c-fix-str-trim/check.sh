#!/bin/sh
# Success: test_strtrim.c is unchanged, make test passes, and a hidden superset of the tests
# (all-whitespace strings, inner whitespace kept) passes when built the same way.
TASK_DIR=${TASK_DIR:-$(cd "$(dirname "$0")" && pwd)}
cmp -s "$TASK_DIR/repo/test_strtrim.c" test_strtrim.c || exit 1
make -B -s test >/dev/null 2>&1 || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp -R . "$tmp/w" && cp "$TASK_DIR/hidden/test_strtrim.c" "$tmp/w/" || exit 1
cd "$tmp/w" && make -B -s test >/dev/null 2>&1
