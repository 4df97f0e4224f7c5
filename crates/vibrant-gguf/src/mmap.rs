//! The one place that memory-maps files.
#![allow(unsafe_code)]

use std::fs::File;

/// A read-only memory map of a whole file.
pub(crate) struct Map(memmap2::Mmap);

impl Map {
    /// Maps `file` read-only; `None` for an empty file (which cannot be mapped on every platform).
    pub(crate) fn new(file: &File) -> std::io::Result<Option<Map>> {
        if file.metadata()?.len() == 0 {
            return Ok(None);
        }
        // SAFETY: the map is read-only and private to this process. Rust's aliasing rules would be
        // broken only if another process truncated or rewrote the file while it is mapped; model
        // files are treated as immutable (the model store writes new files and renames them into
        // place instead of modifying them), which is the usual contract for mapped model weights.
        let map = unsafe { memmap2::MmapOptions::new().map(file)? };
        Ok(Some(Map(map)))
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }
}
