#!/bin/sh
cargo test --offline -q >/dev/null 2>&1 && grep -q 'Some(2.0)' src/lib.rs
