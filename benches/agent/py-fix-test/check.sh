#!/bin/sh
# Success: the tests pass and the test file is unchanged.
python3 -m pytest -q >/dev/null 2>&1 && git diff --quiet -- test_calc.py
