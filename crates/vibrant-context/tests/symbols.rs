//! Symbol, import and reference extraction per language on small fixtures.
#![allow(clippy::unwrap_used)] // test helpers panic on setup failures by design

use std::path::Path;

use SymbolKind as K;
use vibrant_context::syntax::{ChunkOptions, analyze};
use vibrant_context::{FileSyntax, Language, SymbolKind};

fn fixture(name: &str, lang: Language) -> FileSyntax {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/symbols")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(Language::detect(&path, text.as_bytes()), lang);
    let s = analyze(lang, &text, ChunkOptions::default());
    assert!(!s.has_errors, "{name} should parse cleanly");
    // Chunks are ordered, non-overlapping and inside the file.
    let lines = text.lines().count() as u32;
    for w in s.chunks.windows(2) {
        assert!(w[0].end_line < w[1].start_line, "{name}: {:?}", s.chunks);
    }
    assert!(
        s.chunks
            .iter()
            .all(|c| c.start_line >= 1 && c.start_line <= c.end_line && c.end_line <= lines)
    );
    s
}

#[track_caller]
fn expect(s: &FileSyntax, want: &[(&str, SymbolKind)]) {
    for (name, kind) in want {
        assert!(
            s.symbols.iter().any(|x| x.name == *name && x.kind == *kind),
            "missing {kind:?} {name}; got {:?}",
            s.symbols
                .iter()
                .map(|x| (x.kind, x.name.as_str()))
                .collect::<Vec<_>>()
        );
    }
}

fn sig<'a>(s: &'a FileSyntax, name: &str) -> &'a str {
    &s.symbols.iter().find(|x| x.name == name).unwrap().signature
}

fn refs(s: &FileSyntax) -> Vec<&str> {
    s.references.iter().map(|r| r.0.as_str()).collect()
}

#[test]
fn rust() {
    let s = fixture("sample.rs", Language::Rust);
    expect(
        &s,
        &[
            ("MAX_ENTRIES", K::Const),
            ("Cache", K::Struct),
            ("Mode", K::Enum),
            ("Evict", K::Trait),
            ("evict", K::Method),
            ("Cache", K::Impl),
            ("new", K::Method),
            ("get_entry", K::Method),
            ("Alias", K::Type),
            ("square", K::Macro),
            ("free_function", K::Function),
            ("helpers", K::Module),
        ],
    );
    // Functions nested in bodies are not definitions worth listing.
    assert!(!s.symbols.iter().any(|x| x.name == "nested_inner"));
    assert_eq!(
        sig(&s, "get_entry"),
        "pub fn get_entry(&self, store: &Store) -> Option<&Entry>"
    );
    assert_eq!(sig(&s, "Cache"), "pub struct Cache<K>");
    let ge = s.symbols.iter().find(|x| x.name == "get_entry").unwrap();
    assert_eq!(
        (ge.start_line, ge.end_line, ge.parent.as_deref()),
        (26, 28, Some("Cache"))
    );
    assert_eq!(
        s.imports,
        [
            "std::collections::HashMap",
            "crate::store::{Store, Entry}",
            "mod helpers"
        ]
    );
    let r = refs(&s);
    assert!(r.contains(&"Store") && r.contains(&"lookup") && r.contains(&"HashMap"));
    // Names being defined are not references.
    assert!(!r.contains(&"free_function") && !r.contains(&"get_entry"));
}

#[test]
fn python() {
    let s = fixture("sample.py", Language::Python);
    expect(
        &s,
        &[
            ("MAX_SIZE", K::Const),
            ("Loader", K::Class),
            ("__init__", K::Method),
            ("load", K::Method),
            ("parse_args", K::Function),
        ],
    );
    assert!(!s.symbols.iter().any(|x| x.name == "helper"));
    assert_eq!(sig(&s, "Loader"), "class Loader(Base)");
    assert_eq!(s.imports, ["os", "numpy", ".models"]);
    assert!(refs(&s).contains(&"Model"));
}

#[test]
fn go() {
    let s = fixture("sample.go", Language::Go);
    expect(
        &s,
        &[
            ("Version", K::Const),
            ("Store", K::Struct),
            ("Reader", K::Interface),
            ("ID", K::Type),
            ("NewStore", K::Function),
            ("Read", K::Method),
        ],
    );
    assert_eq!(sig(&s, "Store"), "type Store struct");
    assert_eq!(
        sig(&s, "Read"),
        "func (s *Store) Read(key string) (int, error)"
    );
    assert_eq!(s.imports, ["fmt", "github.com/acme/proj/internal/util"]);
    assert!(refs(&s).contains(&"Clean"));
}

#[test]
fn javascript() {
    let s = fixture("sample.js", Language::JavaScript);
    expect(
        &s,
        &[
            ("DEFAULT_PORT", K::Const),
            ("startServer", K::Function),
            ("handler", K::Function),
            ("Router", K::Class),
            ("addRoute", K::Method),
        ],
    );
    assert_eq!(sig(&s, "startServer"), "function startServer(port)");
    assert_eq!(sig(&s, "handler"), "const handler = (req, res) =>");
    assert_eq!(s.imports, ["./util", "fs"]);
    assert!(refs(&s).contains(&"helper"));
}

#[test]
fn typescript() {
    let s = fixture("sample.ts", Language::TypeScript);
    expect(
        &s,
        &[
            ("Options", K::Interface),
            ("Handler", K::Type),
            ("Level", K::Enum),
            ("Service", K::Class),
            ("run", K::Method),
            ("createService", K::Function),
        ],
    );
    assert_eq!(sig(&s, "run"), "public run(opts: Options): number");
    assert_eq!(s.imports, ["./config"]);
    assert!(refs(&s).contains(&"Config"));
}

#[test]
fn tsx() {
    let s = fixture("sample.tsx", Language::Tsx);
    expect(
        &s,
        &[
            ("Props", K::Interface),
            ("Header", K::Function),
            ("Footer", K::Function),
        ],
    );
    assert_eq!(s.imports, ["react", "./button"]);
    assert!(refs(&s).contains(&"Button"));
}

#[test]
fn java() {
    let s = fixture("Sample.java", Language::Java);
    expect(
        &s,
        &[
            ("Sample", K::Class),
            ("names", K::Method),
            ("Shape", K::Interface),
            ("area", K::Method),
            ("Color", K::Enum),
            ("Point", K::Class),
        ],
    );
    assert_eq!(sig(&s, "names"), "public List<String> names(int count)");
    assert_eq!(s.imports, ["java.util.List", "com.acme.util.Helper"]);
    assert!(refs(&s).contains(&"Helper"));
}

#[test]
fn c() {
    let s = fixture("sample.c", Language::C);
    expect(
        &s,
        &[
            ("BUFFER_SIZE", K::Macro),
            ("MAX", K::Macro),
            ("point", K::Struct),
            ("point_t", K::Type),
            ("color", K::Enum),
            ("add_points", K::Function),
            ("find_value", K::Function),
            ("main", K::Function),
        ],
    );
    assert_eq!(
        sig(&s, "find_value"),
        "static int *find_value(int *values, int n)"
    );
    assert_eq!(s.imports, ["stdio.h", "util.h"]);
    assert!(refs(&s).contains(&"printf"));
}

#[test]
fn cpp() {
    let s = fixture("sample.cpp", Language::Cpp);
    expect(
        &s,
        &[
            ("engine", K::Module),
            ("Tensor", K::Class),
            ("size", K::Method),
            ("size", K::Function),
            ("clamp_value", K::Function),
            ("Matrix", K::Type),
            ("Shape", K::Struct),
        ],
    );
    let t = s
        .symbols
        .iter()
        .find(|x| x.name == "Tensor" && x.kind == K::Class)
        .unwrap();
    assert_eq!(t.parent.as_deref(), Some("engine"));
    assert_eq!(s.imports, ["vector", "engine/tensor.hpp"]);
    assert!(refs(&s).contains(&"data_"));
}

#[test]
fn syntax_errors_keep_what_parses() {
    let src = "fn good(a: u32) -> u32 { a }\n\nfn broken( {\n\npub struct AfterError { x: u32 }\n";
    let s = analyze(Language::Rust, src, ChunkOptions::default());
    assert!(s.has_errors);
    assert!(
        s.symbols.iter().any(|x| x.name == "good"),
        "{:?}",
        s.symbols
    );
    assert!(!s.chunks.is_empty());
}

#[test]
fn other_languages_get_line_windows() {
    let text: String = (0..200).map(|i| format!("line {i}\n")).collect();
    let s = analyze(Language::Markdown, &text, ChunkOptions::default());
    assert!(s.symbols.is_empty());
    assert_eq!(s.chunks.first().unwrap().start_line, 1);
    assert_eq!(s.chunks.last().unwrap().end_line, 200);
    assert!(s.chunks.len() >= 4);
}
