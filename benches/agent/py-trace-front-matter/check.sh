#!/bin/sh
# Success: the project's tests pass; and in a scratch copy with the original tests restored
# (the agent may add tests, not weaken them) plus hidden front-matter tests (values containing
# ':'), all tests pass.
TASK_DIR=${TASK_DIR:-$(cd "$(dirname "$0")" && pwd)}
python3 -m pytest -q -p no:cacheprovider >/dev/null 2>&1 || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp -R . "$tmp/w" || exit 1
mkdir -p "$tmp/w/tests" && cp "$TASK_DIR/repo/tests/"*.py "$TASK_DIR/hidden/test_hidden_front_matter.py" "$tmp/w/tests/" || exit 1
cd "$tmp/w" && python3 -m pytest -q -p no:cacheprovider >/dev/null 2>&1
