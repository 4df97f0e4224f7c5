//! Model and server output is hostile input (issue #14): whatever a model writes as a tool
//! call — half a tag, JSON nested a thousand deep, a fence inside the tag, a string where an
//! object belongs, control characters — and whatever bytes a session file holds after a crash
//! or a hostile edit, the parsers return a value or an error and never panic.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use vibrant_core::backend::toolcall::{CALL_CLOSE, CALL_OPEN, parse_tool_calls};
use vibrant_core::session::SessionStore;

/// Pieces of tool calls as small models write them (and break them), glued in any order.
fn call_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just(CALL_OPEN.to_owned()),
        Just(CALL_CLOSE.to_owned()),
        Just("<tool_call".to_owned()),
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("[".repeat(1000)),
        Just("\"name\": \"read_file\", ".to_owned()),
        Just("\"name\": 42, ".to_owned()),
        Just("\"arguments\": {\"path\": \"../../etc/passwd\"}".to_owned()),
        Just("\"arguments\": \"{\\\"path\\\": 1}\"".to_owned()),
        Just("\"parameters\": []".to_owned()),
        Just("```json\n".to_owned()),
        Just("```\n".to_owned()),
        Just("\n".to_owned()),
        Just("\u{1b}]52;c;ZXZpbA==\u{7}".to_owned()),
        Just("\u{0}\u{202e}".to_owned()),
        "[a-zA-Z0-9_ {}:;.,=\"'\\[\\]\\\\]{0,30}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// A call that was opened is read or reported as invalid (an unclosed one runs to the end,
    /// taking any later tag with it), reports stay short, the text keeps no call markup, and
    /// nothing panics.
    #[test]
    fn tool_call_parsing_never_panics_and_drops_nothing_silently(text in call_text()) {
        let parsed = parse_tool_calls(&text, &["read_file", "write_file"]);
        if text.contains(CALL_OPEN) {
            prop_assert!(!parsed.calls.is_empty() || !parsed.invalid.is_empty());
        }
        for why in &parsed.invalid {
            prop_assert!(why.chars().count() <= 700, "{} chars", why.chars().count());
        }
        prop_assert!(!parsed.text.contains(CALL_OPEN));
        for call in &parsed.calls {
            prop_assert!(!call.name.is_empty());
        }
    }

    /// A session file with any content (a torn write, a hostile edit, binary junk) loads or is
    /// refused with an error; it never panics.
    #[test]
    fn a_session_file_with_any_bytes_loads_or_is_refused(
        lines in prop::collection::vec(prop_oneof![
            Just("{\"type\":\"meta\",\"version\":1,\"backend\":\"x\",\"model\":\"m\",\"created\":\"2026-01-01T00:00:00Z\"}".to_owned()),
            Just("{\"type\":\"message\",\"role\":\"user\",\"content\":\"hi\"}".to_owned()),
            Just("{\"type\":\"message\",\"role\":\"wizard\",\"content\":7}".to_owned()),
            Just("{\"type\":\"message\",\"ro".to_owned()),
            Just("[".repeat(5000)),
            Just("\u{0}\u{ff}".to_owned()),
            any::<String>(),
        ], 0..8),
        newline_at_end in any::<bool>(),
    ) {
        let state = tempfile::tempdir().unwrap();
        let repo = tempfile::tempdir().unwrap();
        let store = SessionStore::for_repo(state.path(), repo.path());
        let writer = store.create("x", "m").unwrap();
        let (id, path) = (writer.id().to_owned(), writer.path().to_path_buf());
        drop(writer);
        let mut text = lines.join("\n");
        if newline_at_end {
            text.push('\n');
        }
        std::fs::write(&path, text).unwrap();
        let _ = store.load(&id);
        let _ = store.list();
    }
}
