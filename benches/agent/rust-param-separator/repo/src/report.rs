use crate::grouping::format_thousands;

/// "name: 1,234 bytes in 12 files".
pub fn summary_line(name: &str, bytes: u64, files: u64) -> String {
    format!(
        "{}: {} bytes in {} files",
        name,
        format_thousands(bytes),
        format_thousands(files)
    )
}
