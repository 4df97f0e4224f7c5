//! vibrant-tokenizer (being written).
