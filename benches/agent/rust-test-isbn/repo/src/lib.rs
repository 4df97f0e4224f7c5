//! Check-digit algorithms.

pub mod isbn;
pub mod luhn;
