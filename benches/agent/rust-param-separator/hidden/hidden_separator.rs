use numfmt::format_thousands;
use numfmt::report::summary_line;
use numfmt::table::render_counts;

#[test]
fn hidden_custom_separators() {
    assert_eq!(format_thousands(1234567, '.'), "1.234.567");
    assert_eq!(format_thousands(1234567, ' '), "1 234 567");
    assert_eq!(format_thousands(123, '_'), "123");
    assert_eq!(format_thousands(u64::MAX, '\''), "18'446'744'073'709'551'615");
}

#[test]
fn hidden_summary_keeps_commas() {
    assert_eq!(summary_line("docs", 1000000, 1234), "docs: 1,000,000 bytes in 1,234 files");
}

#[test]
fn hidden_table_uses_separator() {
    let out = render_counts(&[("a", 1000), ("b", 2000)], '.');
    assert_eq!(out, "a      1.000\nb      2.000\ntotal  3.000");
}
