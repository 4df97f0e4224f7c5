//! vibrant-gguf (being written).
