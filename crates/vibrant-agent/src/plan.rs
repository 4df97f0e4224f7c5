//! The plan: the numbered list the model is asked to start with, shown to the user and
//! replaced whenever the model writes a new one.

/// The items of the first numbered list of at least two items in `text` (`1.` or `1)`,
/// possibly with `- [ ]`/`- [x]` checkboxes in front), or `None`.
pub fn parse_plan(text: &str) -> Option<Vec<String>> {
    let mut items: Vec<String> = Vec::new();
    let mut expected = 1u32;
    for line in text.lines() {
        let l = line.trim_start();
        let l = l
            .strip_prefix("- [ ] ")
            .or_else(|| l.strip_prefix("- [x] "))
            .unwrap_or(l);
        let digits: String = l.chars().take_while(char::is_ascii_digit).collect();
        let rest = &l[digits.len()..];
        let numbered = !digits.is_empty()
            && (rest.starts_with(". ") || rest.starts_with(") "))
            && digits.parse::<u32>().ok() == Some(expected);
        if numbered {
            let item = rest[2..].trim().trim_matches('*').trim();
            if !item.is_empty() {
                items.push(item.to_owned());
                expected += 1;
            }
        } else if !items.is_empty() && !l.is_empty() && !line.starts_with([' ', '\t']) {
            break;
        }
    }
    (items.len() >= 2).then_some(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_lists() {
        let p = parse_plan(
            "Plan:\n1. Read src/lib.rs\n2) Fix `add`\n   details\n3. Run the tests\nThen done.",
        )
        .unwrap();
        assert_eq!(p, ["Read src/lib.rs", "Fix `add`", "Run the tests"]);
        assert_eq!(parse_plan("1. only one"), None);
        assert_eq!(parse_plan("no list"), None);
        // Numbering must start at 1 and be consecutive.
        assert_eq!(parse_plan("3. a\n4. b"), None);
        assert_eq!(
            parse_plan("- [x] 1. **read**\n- [ ] 2. edit").unwrap(),
            ["read", "edit"]
        );
    }
}
