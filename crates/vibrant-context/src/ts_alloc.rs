//! tree-sitter's allocator: mimalloc instead of the C library's `malloc`.
//!
//! Parsing a file makes hundreds of thousands of small allocations (subtrees, stack nodes,
//! arrays) and frees them all when the tree is dropped; with glibc's allocator about a fifth of
//! the cold-index CPU time went to `malloc`, `free` and their consolidation (see
//! docs/results/context.md). mimalloc's thread-local free lists make that a few percent.
//!
//! tree-sitter's allocator is process-global and must be chosen before tree-sitter allocates
//! anything: memory from one allocator must never reach the other's `free`. [`install`] runs once,
//! before the first parser of this crate is created, and this crate is the only user of
//! tree-sitter in Vibrant. Rust's own allocations are untouched (the global allocator is the
//! binary's choice).

use std::ffi::c_void;
use std::sync::Once;

static INSTALL: Once = Once::new();

/// `calloc` for tree-sitter: zeroed memory for `count * size` bytes, null on overflow (as the C
/// function does).
unsafe extern "C" fn ts_calloc(count: usize, size: usize) -> *mut c_void {
    match count.checked_mul(size) {
        // SAFETY: mi_zalloc accepts any size and returns null or a fresh zeroed block.
        Some(total) => unsafe { libmimalloc_sys::mi_zalloc(total) },
        None => std::ptr::null_mut(),
    }
}

/// Makes tree-sitter allocate with mimalloc. Idempotent; call before creating any parser.
pub(crate) fn install() {
    INSTALL.call_once(|| {
        // SAFETY: called once, before this crate creates its first tree-sitter object (every
        // parser is made after `install` returns, see `syntax::analyze`), and no other code in
        // the process uses tree-sitter, so no block from the previous allocator is ever freed
        // with mimalloc's `free` or vice versa. The four functions form one consistent
        // allocator (malloc/zeroed calloc/realloc/free of mimalloc) and are thread-safe.
        unsafe {
            tree_sitter::set_allocator(
                Some(libmimalloc_sys::mi_malloc),
                Some(ts_calloc),
                Some(libmimalloc_sys::mi_realloc),
                Some(libmimalloc_sys::mi_free),
            );
        }
    });
}
