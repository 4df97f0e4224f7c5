#!/bin/sh
python3 -m pytest -q >/dev/null 2>&1 && ! grep -rq compute_total --include='*.py' . && grep -q 'def sum_prices' pricing.py
