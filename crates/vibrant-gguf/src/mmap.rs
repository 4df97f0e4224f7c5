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

    /// Tells the kernel the pages inside `offset..offset + len` (whole pages only) are not
    /// needed now, so they leave this process's resident memory. Reading them again later is
    /// still correct: they come back from the file.
    pub(crate) fn release(&self, offset: usize, len: usize) -> std::io::Result<()> {
        const PAGE: usize = 4096;
        let start = offset.next_multiple_of(PAGE);
        let end = offset.saturating_add(len).min(self.0.len()) / PAGE * PAGE;
        if end <= start {
            return Ok(());
        }
        // SAFETY: the map is read-only and never written through, so dropping its pages loses
        // nothing: the next access reads them from the file again (MADV_DONTNEED on a clean,
        // file-backed mapping). The range is inside the map (clamped to its length above).
        unsafe {
            self.0
                .unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start)
        }
    }
}
