//! Splitting a list of items into pages.

/// How many pages are needed to show `total` items, `per_page` at a time.
///
/// Zero items need zero pages. Panics if `per_page` is zero.
pub fn page_count(total: usize, per_page: usize) -> usize {
    assert!(per_page > 0, "per_page must be positive");
    (total + per_page) / per_page
}

/// The items on page `page` (1-based); empty when the page does not exist.
pub fn page<T>(items: &[T], page: usize, per_page: usize) -> &[T] {
    if page == 0 || page > page_count(items.len(), per_page) {
        return &[];
    }
    let start = (page - 1) * per_page;
    let end = (start + per_page).min(items.len());
    &items[start..end]
}

/// A "Page 2 of 5" label, or "No results" when there is nothing to show.
pub fn page_label(current: usize, total_items: usize, per_page: usize) -> String {
    let pages = page_count(total_items, per_page);
    if pages == 0 {
        return "No results".to_string();
    }
    format!("Page {} of {}", current.clamp(1, pages), pages)
}
