#!/bin/sh
# Success: test/listkit.test.js is unchanged, node --test passes, and hidden sort tests pass.
TASK_DIR=${TASK_DIR:-$(cd "$(dirname "$0")" && pwd)}
cmp -s "$TASK_DIR/repo/test/listkit.test.js" test/listkit.test.js || exit 1
node --test >/dev/null 2>&1 || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp -R . "$tmp/w" && mkdir -p "$tmp/w/test" || exit 1
cp "$TASK_DIR/hidden/hidden.test.js" "$tmp/w/test/" || exit 1
cd "$tmp/w" && node --test >/dev/null 2>&1
