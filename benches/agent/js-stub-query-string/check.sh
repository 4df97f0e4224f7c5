#!/bin/sh
# Success: test/query.test.js is unchanged, node --test passes, and hidden parser tests pass.
TASK_DIR=${TASK_DIR:-$(cd "$(dirname "$0")" && pwd)}
cmp -s "$TASK_DIR/repo/test/query.test.js" test/query.test.js || exit 1
node --test >/dev/null 2>&1 || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp -R . "$tmp/w" && mkdir -p "$tmp/w/test" || exit 1
cp "$TASK_DIR/hidden/hidden.test.js" "$tmp/w/test/" || exit 1
cd "$tmp/w" && node --test >/dev/null 2>&1
