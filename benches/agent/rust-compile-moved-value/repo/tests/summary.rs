use taglog::{parse_line, summarize};

#[test]
fn parses_tags_and_level() {
    let r = parse_line("warn disk almost full #Disk #ops").unwrap();
    assert_eq!(r.level, "WARN");
    assert_eq!(r.message, "disk almost full");
    assert_eq!(r.tags, vec!["disk", "ops"]);
    assert!(parse_line("   ").is_none());
}

#[test]
fn summarizes() {
    let lines = ["INFO started #boot", "WARN slow #db #perf", "INFO query #db", ""];
    let records: Vec<_> = lines.iter().filter_map(|l| parse_line(l)).collect();
    let s = summarize(&records);
    assert_eq!(s.records, 3);
    assert_eq!(s.per_level.get("INFO"), Some(&2));
    assert_eq!(s.tags, vec!["boot", "db", "perf"]);
    assert_eq!(s.distinct_tags, 3);
}
