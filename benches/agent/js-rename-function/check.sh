#!/bin/sh
# Success: no .js file mentions calcTax, lib/tax.js defines computeTax, node --test passes, and the
# expected renamed tests (hidden/test) pass against the code.
TASK_DIR=${TASK_DIR:-$(cd "$(dirname "$0")" && pwd)}
grep -rq calcTax --include='*.js' --exclude-dir=node_modules . && exit 1
grep -q 'function computeTax\b' lib/tax.js || exit 1
node --test >/dev/null 2>&1 || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp -R . "$tmp/w" && rm -rf "$tmp/w/test" && cp -R "$TASK_DIR/hidden/test" "$tmp/w/test" || exit 1
cd "$tmp/w" && node --test >/dev/null 2>&1
