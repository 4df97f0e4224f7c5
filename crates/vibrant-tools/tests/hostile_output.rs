//! Model output is hostile input (issue #14): whatever a model writes — half a fence, a path
//! with `..`, a patch with absurd line numbers, code in the wrong language, control characters,
//! huge or empty strings — the parsers and appliers that consume it return a value or an error
//! and never panic, loop or produce text outside what they were given to work with.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use vibrant_tools::locate::SourceFile;
use vibrant_tools::{fuzzy, imports, patch, project, symbol_edit};

/// Pieces models write, glued in any order: fences, paths, code lines, diff headers, noise.
fn model_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("```".to_owned()),
        Just("```python\n".to_owned()),
        Just("```rust\n".to_owned()),
        Just("```diff\n".to_owned()),
        Just("\n".to_owned()),
        Just("src/lib.rs\n".to_owned()),
        Just("../../etc/passwd\n".to_owned()),
        Just("# a.py (from line 3)\n".to_owned()),
        Just("def f(x):\n    return x\n".to_owned()),
        Just("    if x:\n".to_owned()),
        Just("fn f() -> u32 {\n".to_owned()),
        Just("}\n".to_owned()),
        Just("class A:\n".to_owned()),
        Just("func F() int { return 1 }\n".to_owned()),
        Just("--- a/a.py\n+++ b/a.py\n".to_owned()),
        Just("@@ -1,3 +1,4 @@\n".to_owned()),
        Just("@@ -999999999,1 +0,0 @@\n".to_owned()),
        Just("-    return x\n+    return x + 1\n".to_owned()),
        Just("*** Begin Patch\n*** Update File: a.py\n".to_owned()),
        Just("*** End Patch\n".to_owned()),
        Just("<-- the failure is here: boom\n".to_owned()),
        Just("\u{1b}]52;c;ZXZpbA==\u{7}".to_owned()),
        Just("\u{202e}".to_owned()),
        Just("\t\r\n".to_owned()),
        "[a-zA-Z0-9_ (){}:;.,=+\\-\\[\\]\"'#/\\\\]{0,40}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

const PY: &str = "import os\n\n\ndef f(x):\n    \"\"\"Doc.\"\"\"\n    return x\n\n\nclass A:\n    def m(self):\n        return 1\n";
const RS: &str = "use std::fmt;\n\npub fn f() -> u32 {\n    1\n}\n\nstruct S;\n\nimpl S {\n    fn m(&self) {}\n}\n";

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn code_blocks_parse_and_apply_without_panicking(answer in model_text(), t in 0u32..20) {
        let blocks = symbol_edit::parse_blocks(&answer);
        for b in &blocks {
            // A block's code is text from the answer.
            prop_assert!(b.code.len() <= answer.len());
            for (path, text) in [("a.py", PY), ("src/lib.rs", RS)] {
                let file = SourceFile::new(path, text.to_owned()).unwrap();
                let _ = symbol_edit::apply_block(&file, &b.code, &[t]);
                let _ = symbol_edit::apply_block(&file, &b.code, &[]);
            }
        }
        for w in answer.split_whitespace() {
            if let Some(p) = symbol_edit::path_like(w) {
                prop_assert!(!p.is_empty());
            }
        }
    }

    #[test]
    fn patches_parse_and_apply_without_panicking(text in model_text()) {
        // Hunks parsed from any text (bare, or after unified-diff headers) are applied to a
        // real file.
        let wrapped = format!("--- a/a.py\n+++ b/a.py\n{text}");
        for input in [text.as_str(), wrapped.as_str()] {
            if let Ok(ops) = patch::parse_patch(input) {
                for op in &ops {
                    let _ = op.path();
                    if let patch::FileOp::Update { hunks, .. } = op {
                        for base in [PY, RS, ""] {
                            if let Ok(out) = patch::apply_hunks(base, hunks) {
                                // Only the hunks' own lines can be added.
                                let added: usize = hunks.iter().map(|h| h.new.len()).sum();
                                prop_assert!(out.lines().count() <= base.lines().count() + added + 1);
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn fuzzy_edits_never_panic(old in model_text(), new in model_text(), all in any::<bool>(), th in 0.0f64..1.0) {
        for text in [PY, RS, ""] {
            if let Ok(out) = fuzzy::apply_edit(text, &old, &new, all, th) {
                let _ = format!("{out:?}");
            }
        }
    }

    #[test]
    fn import_tidying_and_log_summaries_never_panic(text in model_text()) {
        let _ = imports::tidy_go_imports(&format!("package p\n\n{text}"));
        let _ = imports::tidy_go_imports(&text);
        let _ = imports::add_python_std_imports(&text);
        let s = project::summarize(&text);
        let _ = format!("{s:?}");
    }
}
