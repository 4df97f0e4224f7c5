#!/bin/sh
# Success: test/slugify.test.js keeps its old tests and has gained at least one more, node --test
# passes, and hidden maxLength tests pass.
TASK_DIR=${TASK_DIR:-$(cd "$(dirname "$0")" && pwd)}
f=test/slugify.test.js
[ -f "$f" ] || exit 1
old=$(grep -c "^test(" "$TASK_DIR/repo/$f")
new=$(grep -c "^test(" "$f")
[ "$new" -gt "$old" ] || exit 1
grep -q maxLength "$f" || exit 1
for name in "basic slug" "accents and custom separator" "unique slugs"; do
    grep -q "^test(.$name." "$f" || exit 1
done
node --test >/dev/null 2>&1 || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp -R . "$tmp/w" && mkdir -p "$tmp/w/test" || exit 1
cp "$TASK_DIR/hidden/hidden.test.js" "$tmp/w/test/" || exit 1
cd "$tmp/w" && node --test >/dev/null 2>&1
