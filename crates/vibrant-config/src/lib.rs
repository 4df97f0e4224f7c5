//! vibrant-config (being written).
