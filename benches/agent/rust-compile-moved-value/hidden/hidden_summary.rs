use taglog::{parse_line, summarize, Record};

#[test]
fn hidden_duplicate_tags_counted_once() {
    let records: Vec<Record> = ["ERROR boom #x #y", "error again #y #X", "debug quiet"]
        .iter()
        .filter_map(|l| parse_line(l))
        .collect();
    let s = summarize(&records);
    assert_eq!(s.records, 3);
    assert_eq!(s.per_level.get("ERROR"), Some(&2));
    assert_eq!(s.per_level.get("DEBUG"), Some(&1));
    assert_eq!(s.tags, vec!["x", "y"]);
    assert_eq!(s.distinct_tags, 2);
}

#[test]
fn hidden_empty() {
    let s = summarize(&[]);
    assert_eq!((s.records, s.distinct_tags), (0, 0));
    assert!(s.tags.is_empty() && s.per_level.is_empty());
}
