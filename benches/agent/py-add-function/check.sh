#!/bin/sh
python3 -m pytest -q >/dev/null 2>&1 && git diff --quiet -- test_text_utils.py
