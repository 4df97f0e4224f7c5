use paginate::{page, page_count, page_label};

#[test]
fn count_with_partial_last_page() {
    assert_eq!(page_count(11, 5), 3);
}

#[test]
fn count_exact_multiple() {
    assert_eq!(page_count(10, 5), 2);
}

#[test]
fn count_empty() {
    assert_eq!(page_count(0, 5), 0);
}

#[test]
fn slices_pages() {
    let items: Vec<u32> = (1..=7).collect();
    assert_eq!(page(&items, 1, 3), &[1, 2, 3]);
    assert_eq!(page(&items, 3, 3), &[7]);
    assert!(page(&items, 4, 3).is_empty());
}

#[test]
fn labels() {
    assert_eq!(page_label(2, 50, 10), "Page 2 of 5");
    assert_eq!(page_label(1, 0, 10), "No results");
}
