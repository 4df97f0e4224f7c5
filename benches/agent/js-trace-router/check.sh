#!/bin/sh
# Success: node --test passes; and in a scratch copy with the original test/app.test.js restored
# plus hidden tests (unmatched routes answer 404 with an error body, the app keeps working), all
# tests pass.
TASK_DIR=${TASK_DIR:-$(cd "$(dirname "$0")" && pwd)}
node --test >/dev/null 2>&1 || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp -R . "$tmp/w" && mkdir -p "$tmp/w/test" || exit 1
cp "$TASK_DIR/repo/test/app.test.js" "$TASK_DIR/hidden/hidden.test.js" "$tmp/w/test/" || exit 1
cd "$tmp/w" && node --test >/dev/null 2>&1
