use tailr::last_lines;

#[test]
fn hidden_more_than_available() {
    assert_eq!(last_lines("one\ntwo\nthree\n", 5), vec!["one", "two", "three"]);
    assert_eq!(last_lines("one\ntwo\nthree", 3), vec!["one", "two", "three"]);
    assert_eq!(last_lines("", 4), Vec::<&str>::new());
    assert_eq!(last_lines("x", usize::MAX), vec!["x"]);
}

#[test]
fn hidden_zero_and_normal() {
    assert_eq!(last_lines("a\nb", 0), Vec::<&str>::new());
    assert_eq!(last_lines("a\nb\nc\nd", 1), vec!["d"]);
}
