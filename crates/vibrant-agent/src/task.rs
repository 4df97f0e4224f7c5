//! What a task's words say about how it may be done: whether it forbids changing the tests,
//! asks for tests, or asks for a change at all.

use std::sync::LazyLock;

use regex::Regex;

fn re(s: &str) -> Regex {
    Regex::new(s).unwrap_or_else(|e| panic!("built-in regex {s}: {e}"))
}

static FORBIDS_TESTS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:do not|don't|dont|never|must not|should not|without)\s+(?:\w+\s+){0,2}?(?:chang|modif|edit|touch|alter|updat|rewrit)\w*\s+(?:\w+\s+){0,2}?tests?\b|\btests?\s+(?:\w+\s+){0,2}?(?:unchanged|as they are|untouched|must not change)",
    )
});

static ASKS_FOR_TESTS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:write|add|create|extend|improve|update|cover|implement)\w*\s+(?:\w+\s+){0,4}?(?:unit\s+)?tests?\b|\btests?\s+for\b|\btest\s+coverage\b",
    )
});

static ASKS_FOR_CHANGE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:fix|add|implement|rename|change|update|write|create|remove|delete|refactor|make|convert|move|replace|support|handle|correct|repair|resolve|extend|introduce|rewrite|modify|edit|port|migrate|improve|optimi[sz]e|crash|fails?|failing|broken|bug|error|finish|complete|stubs?|todo|unfinished)\w*\b",
    )
});

static RENAME: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\brename\s+(?:the\s+)?(?:\w+\s+){0,2}?`?([A-Za-z_][A-Za-z0-9_]*)`?\s+(?:to|into|as)\s+`?([A-Za-z_][A-Za-z0-9_]*)`?",
    )
});

static MORE_PAIRS: LazyLock<Regex> = LazyLock::new(|| {
    re(r"`?\b([A-Za-z_][A-Za-z0-9_]*)`?\s+(?:to|into)\s+`?([A-Za-z_][A-Za-z0-9_]*)\b`?")
});

/// `(old, new)` when the task asks to rename an identifier ("Rename the function a to b").
pub fn rename_pair(task: &str) -> Option<(String, String)> {
    rename_pairs(task).into_iter().next()
}

/// Every `(old, new)` of a rename request, including the further pairs of the same sentence
/// ("rename the type Item to Task and its constructor NewItem to NewTask").
pub fn rename_pairs(task: &str) -> Vec<(String, String)> {
    let Some(c) = RENAME.captures(task) else {
        return Vec::new();
    };
    let mut out = vec![(c[1].to_owned(), c[2].to_owned())];
    let Some(whole) = c.get(0) else {
        return Vec::new();
    };
    let rest = &task[whole.end()..];
    let sentence_end = rest
        .find(". ")
        .or_else(|| rest.find(".\n"))
        .unwrap_or(rest.len());
    for m in MORE_PAIRS.captures_iter(&rest[..sentence_end]) {
        out.push((m[1].to_owned(), m[2].to_owned()));
    }
    out.retain(|(a, b)| a != b);
    out
}

static PROTECTED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:\b(?:don't|dont|do not|never|must not|should not|without)\s+(?:\w+\s+){0,1}?(?:chang|modif|edit|touch|alter|rewrit)\w*\s+(?:the\s+file\s+)?`?(?P<a>[\w./-]+\.[A-Za-z]+)`?)|(?:\bleave\s+`?(?P<b>[\w./-]+\.[A-Za-z]+)`?\s+(?:as it is|alone|unchanged|untouched))|(?:`?(?P<c>[\w./-]+\.[A-Za-z]+)`?\s+(?:must|should)\s+(?:stay|remain)\s+(?:as it is|unchanged))|(?:`?(?P<d>[\w./-]+\.[A-Za-z]+)`?[^.;\n]*[.;]?\s*(?:don't|dont|do not|never|must not)\s+(?:chang|modif|edit|touch|alter|rewrit)\w*\s+(?:that|this)\s+file)",
    )
});

/// Files the task says must not change ("Don't change bits.c", "leave ranges.js as it is").
pub fn protected_paths(task: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in PROTECTED.captures_iter(task) {
        if let Some(m) = c
            .name("a")
            .or_else(|| c.name("b"))
            .or_else(|| c.name("c"))
            .or_else(|| c.name("d"))
        {
            let p = m.as_str().trim_end_matches('.').to_owned();
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// The task says the tests must not change ("Do not change the tests").
pub fn forbids_test_edits(task: &str) -> bool {
    FORBIDS_TESTS.is_match(task)
}

/// The task asks for tests to be written or changed ("add a test for", "write tests").
pub fn asks_for_tests(task: &str) -> bool {
    !forbids_test_edits(task) && ASKS_FOR_TESTS.is_match(task)
}

/// The task asks for a change to the code (as opposed to a question about it).
pub fn asks_for_change(task: &str) -> bool {
    ASKS_FOR_CHANGE.is_match(task)
}

static ASKS_TO_IMPLEMENT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:implement\w*|stubs?|todo|unfinished|not (?:yet )?(?:written|implemented)|finish)\b",
    )
});

/// The task asks to write code that is still a placeholder ("from_roman is still a stub",
/// "Implement parse_duration", "Finish the LRUCache class").
pub fn asks_to_implement(task: &str) -> bool {
    ASKS_TO_IMPLEMENT.is_match(task)
}

static NEGATED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:do not|don't|dont|never|must not|should not|without|leave|keep)\b|\bas (?:it|they) (?:is|are)\b|\bmust (?:still )?pass\b",
    )
});

static MENTIONS_TESTS: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\btest(?:s|ed|ing)?\b|\bchecks?\b"));

/// The task asks for a change to the code itself, not only for tests of it: some sentence that
/// is not about tests (and not a "don't change X") asks for a change. "wrap() has no tests. Add
/// tests for it to test_textfmt.py. Don't change textfmt.py." asks for tests only; "Add a
/// `maxLength` option to slugify. Also add a test." asks for both.
pub fn asks_for_code_change(task: &str) -> bool {
    task.split(['\n', '!', '?'])
        .flat_map(|l| l.split(". "))
        .filter(|s| !s.trim().is_empty())
        .filter(|s| {
            !MENTIONS_TESTS.is_match(s)
                && !s.split_whitespace().any(|w| {
                    path_is_test(w.trim_matches(|c: char| {
                        !c.is_alphanumeric() && c != '/' && c != '.' && c != '_' && c != '-'
                    }))
                })
        })
        .filter(|s| !NEGATED.is_match(s))
        .any(|s| ASKS_FOR_CHANGE.is_match(s))
}

fn path_is_test(word: &str) -> bool {
    word.contains('.') && vibrant_tools::locate::is_test_path(word.trim_end_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implementing_a_stub() {
        for t in [
            "from_roman in roman.py is still a stub that raises NotImplementedError.",
            "Implement parse_duration in src/lib.rs (it's a todo!() right now).",
            "Finish the LRUCache class in lru.py: get and put are still stubs.",
            "parseQuery in src/query.js is not written yet.",
        ] {
            assert!(asks_to_implement(t), "{t}");
        }
        for t in [
            "Fix the failing test in test_dates.py.",
            "Rename Customer to Client everywhere.",
        ] {
            assert!(!asks_to_implement(t), "{t}");
        }
    }

    #[test]
    fn code_change_or_tests_only() {
        for t in [
            "count_bits in bits.c has no tests. Add checks for it to test_bits.c, including edge values like 0 and 0xFFFFFFFF. Don't change bits.c. make test must pass.",
            "parseRanges in ranges.js isn't tested. Add tests for it to test/ranges.test.js (normal input, whitespace, duplicates/overlaps, and the error cases). Leave ranges.js as it is.",
            "wrap() in textfmt.py has no tests at all. Add tests for it to test_textfmt.py, covering the edge cases too. Don't change textfmt.py itself.",
            "is_valid_isbn10 in src/isbn.rs has no tests. Write tests for it in a new file tests/isbn.rs (valid and invalid ISBNs). Don't modify src/isbn.rs. cargo test must pass.",
        ] {
            assert!(!asks_for_code_change(t), "{t}");
        }
        for t in [
            "Add a `maxLength` option to slugify in slugify.js. Without the option nothing changes. Also add a test for the new option to test/slugify.test.js.",
            "parse_env in envfile.py chokes on comments. Make it support them: a line whose first non-blank character is # is ignored. Add a test for this to test_envfile.py.",
            "Add a `sep: char` parameter to format_thousands (src/grouping.rs). Update the tests in tests/format.rs for the new signatures; cargo test must pass.",
            "The table command crashes when a CSV row has more fields than the header:\npanic: runtime error",
            "The test test_add in test_calc.py fails. Fix the bug in calc.py.",
        ] {
            assert!(asks_for_code_change(t), "{t}");
        }
    }

    #[test]
    fn test_rules() {
        for t in [
            "Fix the bug in calc.py. Do not change the tests.",
            "fix it, don't modify the test file",
            "Make it pass without editing the tests",
            "Keep the tests unchanged.",
        ] {
            assert!(forbids_test_edits(t), "{t}");
            assert!(!asks_for_tests(t), "{t}");
        }
        for t in [
            "Write tests for slugify in text.py",
            "Add a unit test for the parser",
            "add a --json flag and a test for it",
            "improve test coverage of utils.go",
        ] {
            assert!(asks_for_tests(t), "{t}");
            assert!(!forbids_test_edits(t), "{t}");
        }
        for t in [
            "The test test_add fails. Fix the bug in calc.py.",
            "rename foo to bar",
        ] {
            assert!(!asks_for_tests(t), "{t}");
        }
        assert_eq!(
            rename_pair("Rename the function compute_total to sum_prices everywhere"),
            Some(("compute_total".into(), "sum_prices".into()))
        );
        assert_eq!(
            rename_pair("rename struct `Cfg` to `Config`."),
            Some(("Cfg".into(), "Config".into()))
        );
        assert_eq!(rename_pair("fix the bug"), None);
        assert_eq!(
            rename_pairs(
                "In package todo, rename the type Item to Task and its constructor NewItem to NewTask. Update every user."
            ),
            vec![
                ("Item".into(), "Task".into()),
                ("NewItem".into(), "NewTask".into())
            ]
        );
        assert_eq!(
            protected_paths("Add checks to test_bits.c. Don't change bits.c. make test must pass."),
            vec!["bits.c"]
        );
        assert_eq!(
            protected_paths("Leave ranges.js as it is."),
            vec!["ranges.js"]
        );
        assert_eq!(
            protected_paths("Don't modify src/isbn.rs. cargo test must pass."),
            vec!["src/isbn.rs"]
        );
        assert_eq!(
            protected_paths("Don't change textfmt.py itself."),
            vec!["textfmt.py"]
        );
        assert_eq!(
            protected_paths(
                "The existing tests in test_billing.py must keep passing; do not edit that file."
            ),
            vec!["test_billing.py"]
        );
        assert!(protected_paths("Fix the bug in calc.py.").is_empty());
        assert!(asks_for_change("fix the failing test"));
        assert!(asks_for_change(
            "Finish the LRUCache class in lru.py: get and put are still stubs."
        ));
        assert!(asks_for_change("Rename compute_total to sum_prices"));
        assert!(!asks_for_change("what does this project do?"));
    }
}
