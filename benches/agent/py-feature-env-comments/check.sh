#!/bin/sh
# Success: the repo's tests pass, test_envfile.py has gained at least one test function (and keeps
# the old ones), and the hidden comment tests pass.
TASK_DIR=${TASK_DIR:-$(cd "$(dirname "$0")" && pwd)}
[ -f test_envfile.py ] || exit 1
old=$(grep -c '^def test_' "$TASK_DIR/repo/test_envfile.py")
new=$(grep -c '^def test_' test_envfile.py)
[ "$new" -gt "$old" ] || exit 1
for t in $(sed -n 's/^def \(test_[A-Za-z0-9_]*\).*/\1/p' "$TASK_DIR/repo/test_envfile.py"); do
    grep -q "^def $t(" test_envfile.py || exit 1
done
python3 -m pytest -q -p no:cacheprovider >/dev/null 2>&1 || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp -R . "$tmp/w" && cp "$TASK_DIR/hidden/test_hidden_env_comments.py" "$tmp/w/" || exit 1
cd "$tmp/w" && python3 -m pytest -q -p no:cacheprovider >/dev/null 2>&1
