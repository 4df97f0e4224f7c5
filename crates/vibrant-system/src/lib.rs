//! vibrant-system (being written).
