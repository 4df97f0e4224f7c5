//! vibrant-kernels (being written).
