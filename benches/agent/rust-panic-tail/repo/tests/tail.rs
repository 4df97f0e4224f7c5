use tailr::{last_lines, parse_args, skip_lines, Args};

#[test]
fn last_two_lines() {
    assert_eq!(last_lines("a\nb\nc\n", 2), vec!["b", "c"]);
}

#[test]
fn skip_first_line() {
    assert_eq!(skip_lines("a\nb\nc", 1), vec!["b", "c"]);
}

#[test]
fn args() {
    let argv: Vec<String> = ["-n", "3", "log.txt"].iter().map(|s| s.to_string()).collect();
    assert_eq!(parse_args(&argv), Ok(Args { count: 3, path: "log.txt".into() }));
}
