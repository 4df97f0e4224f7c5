#!/bin/sh
# Success: cargo test passes and the test still expects Some(2.0) (the tests live in src/lib.rs,
# which the fix edits, so the file cannot be compared as a whole).
cargo test --offline -q >/dev/null 2>&1 && grep -q 'assert_eq!(mean(&\[1.0, 2.0, 3.0\]), Some(2.0));' src/lib.rs
