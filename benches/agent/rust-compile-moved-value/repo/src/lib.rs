//! Summaries of tagged log records.

pub mod record;
pub mod summary;

pub use record::{parse_line, Record};
pub use summary::{summarize, Summary};
