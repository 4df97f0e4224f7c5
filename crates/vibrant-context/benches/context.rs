//! Context benchmarks.
fn main() {}
