//! vibrant-engine (being written).
