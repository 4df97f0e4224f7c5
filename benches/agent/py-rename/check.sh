#!/bin/sh
# Success: the tests pass, compute_total is gone from every Python file and pricing.py defines sum_prices.
python3 -m pytest -q -p no:cacheprovider >/dev/null 2>&1 || exit 1
! grep -rq compute_total --include='*.py' . && grep -q 'def sum_prices' pricing.py
