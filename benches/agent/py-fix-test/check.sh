#!/bin/sh
# Success: the tests pass and the test file is unchanged.
TASK_DIR=${TASK_DIR:-$(cd "$(dirname "$0")" && pwd)}
cmp -s "$TASK_DIR/repo/test_calc.py" test_calc.py || exit 1
python3 -m pytest -q -p no:cacheprovider >/dev/null 2>&1
