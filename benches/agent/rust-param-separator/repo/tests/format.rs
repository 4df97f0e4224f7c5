use numfmt::format_thousands;
use numfmt::report::summary_line;
use numfmt::table::render_counts;

#[test]
fn groups_digits() {
    assert_eq!(format_thousands(0), "0");
    assert_eq!(format_thousands(999), "999");
    assert_eq!(format_thousands(1000), "1,000");
    assert_eq!(format_thousands(1234567), "1,234,567");
}

#[test]
fn summary() {
    assert_eq!(summary_line("src", 48213, 12), "src: 48,213 bytes in 12 files");
}

#[test]
fn table() {
    let out = render_counts(&[("apples", 1200), ("kiwis", 7)]);
    assert_eq!(out, "apples  1,200\nkiwis       7\ntotal   1,207");
}
