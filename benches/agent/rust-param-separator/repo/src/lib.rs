//! Number formatting for reports.

pub mod grouping;
pub mod report;
pub mod table;

pub use grouping::format_thousands;
