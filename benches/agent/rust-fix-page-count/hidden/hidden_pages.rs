use paginate::{page, page_count, page_label};

#[test]
fn hidden_counts() {
    let cases = [(1, 1, 1), (1, 10, 1), (9, 3, 3), (10, 3, 4), (100, 7, 15), (0, 1, 0)];
    for (total, per_page, expected) in cases {
        assert_eq!(page_count(total, per_page), expected, "page_count({total}, {per_page})");
    }
}

#[test]
fn hidden_no_phantom_page() {
    let items: Vec<u32> = (0..6).collect();
    assert!(page(&items, 3, 3).is_empty());
    assert_eq!(page_label(9, 6, 3), "Page 2 of 2");
}
