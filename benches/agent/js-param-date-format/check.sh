#!/bin/sh
# Success: the existing tests are unchanged and pass, and hidden tests of formatDate(date, format),
# renderInvoice and reminderText with settings.dateFormat pass.
TASK_DIR=${TASK_DIR:-$(cd "$(dirname "$0")" && pwd)}
for f in test/dates.test.js test/invoice.test.js; do
    cmp -s "$TASK_DIR/repo/$f" "$f" || exit 1
done
node --test >/dev/null 2>&1 || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp -R . "$tmp/w" && mkdir -p "$tmp/w/test" || exit 1
cp "$TASK_DIR/hidden/hidden.test.js" "$tmp/w/test/" || exit 1
cd "$tmp/w" && node --test >/dev/null 2>&1
