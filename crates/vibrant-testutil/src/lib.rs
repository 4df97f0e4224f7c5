//! vibrant-testutil (being written).
