//! Tree-sitter analysis of one file: definitions with signatures, references, imports and
//! syntax-aligned chunks. Files without a bundled grammar get line-window chunks.
//!
//! Parsing never fails: tree-sitter recovers from syntax errors, so a broken file still yields
//! the definitions it can and [`FileSyntax::has_errors`] is set.

use std::cell::RefCell;

use rustc_hash::{FxHashMap, FxHashSet};
use tree_sitter::{Node, Parser, Tree};

use crate::lang::Language;

/// What a definition is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SymbolKind {
    /// Free function (or a function prototype in a header).
    Function,
    /// Function inside a class, impl, trait or interface.
    Method,
    /// Struct or union.
    Struct,
    /// Class or record.
    Class,
    /// Enum.
    Enum,
    /// Interface.
    Interface,
    /// Rust trait.
    Trait,
    /// Type alias or typedef.
    Type,
    /// Constant or static.
    Const,
    /// Module or namespace.
    Module,
    /// Macro.
    Macro,
    /// Rust `impl` block (named after its type).
    Impl,
}

impl SymbolKind {
    /// Short label (`fn`, `struct`, ...).
    pub fn label(self) -> &'static str {
        match self {
            Self::Function => "function",
            Self::Method => "method",
            Self::Struct => "struct",
            Self::Class => "class",
            Self::Enum => "enum",
            Self::Interface => "interface",
            Self::Trait => "trait",
            Self::Type => "type",
            Self::Const => "const",
            Self::Module => "module",
            Self::Macro => "macro",
            Self::Impl => "impl",
        }
    }
    pub(crate) fn code(self) -> u8 {
        match self {
            Self::Function => 1,
            Self::Method => 2,
            Self::Struct => 3,
            Self::Class => 4,
            Self::Enum => 5,
            Self::Interface => 6,
            Self::Trait => 7,
            Self::Type => 8,
            Self::Const => 9,
            Self::Module => 10,
            Self::Macro => 11,
            Self::Impl => 12,
        }
    }
    pub(crate) fn from_code(c: u8) -> Self {
        match c {
            2 => Self::Method,
            3 => Self::Struct,
            4 => Self::Class,
            5 => Self::Enum,
            6 => Self::Interface,
            7 => Self::Trait,
            8 => Self::Type,
            9 => Self::Const,
            10 => Self::Module,
            11 => Self::Macro,
            12 => Self::Impl,
            _ => Self::Function,
        }
    }
    fn is_container(self) -> bool {
        matches!(
            self,
            Self::Impl | Self::Class | Self::Trait | Self::Interface | Self::Struct | Self::Enum
        )
    }
}

/// A definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    /// The defined name (`parse`, `Index`).
    pub name: String,
    /// Kind of definition.
    pub kind: SymbolKind,
    /// First line, 1-based.
    pub start_line: u32,
    /// Last line, 1-based, inclusive.
    pub end_line: u32,
    /// The definition's header without its body, whitespace collapsed (`pub fn parse(s: &str) -> u32`).
    pub signature: String,
    /// Enclosing class/impl/trait/module name, if any.
    pub parent: Option<String>,
}

/// A chunk: a line range that follows syntax boundaries where a grammar exists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkSpan {
    /// First line, 1-based.
    pub start_line: u32,
    /// Last line, 1-based, inclusive.
    pub end_line: u32,
}

/// Everything extracted from one file.
#[derive(Clone, Debug, Default)]
pub struct FileSyntax {
    /// Definitions in source order.
    pub symbols: Vec<Symbol>,
    /// Imported modules/paths as written (`crate::index::Index`, `./util`, `stdio.h`).
    pub imports: Vec<String>,
    /// Identifiers used in the file (not the names being defined), with counts, sorted by name.
    pub references: Vec<(String, u32)>,
    /// Chunks in order.
    pub chunks: Vec<ChunkSpan>,
    /// The parser had to recover from syntax errors.
    pub has_errors: bool,
}

/// Chunk sizes in lines.
#[derive(Clone, Copy, Debug)]
pub struct ChunkOptions {
    /// Largest chunk; longer nodes are split along their children or into windows.
    pub max_lines: u32,
    /// Small neighbouring nodes are merged while the merged chunk stays within this.
    pub merge_lines: u32,
}

impl Default for ChunkOptions {
    fn default() -> Self {
        Self {
            max_lines: 60,
            merge_lines: 30,
        }
    }
}

thread_local! {
    static PARSERS: RefCell<FxHashMap<Language, Parser>> = RefCell::new(FxHashMap::default());
}

fn ts_language(lang: Language) -> Option<tree_sitter::Language> {
    Some(match lang {
        Language::Rust => tree_sitter_rust::LANGUAGE.into(),
        Language::Python => tree_sitter_python::LANGUAGE.into(),
        Language::Go => tree_sitter_go::LANGUAGE.into(),
        Language::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
        Language::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
        Language::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
        Language::Java => tree_sitter_java::LANGUAGE.into(),
        Language::C => tree_sitter_c::LANGUAGE.into(),
        Language::Cpp => tree_sitter_cpp::LANGUAGE.into(),
        _ => return None,
    })
}

/// Analyses `text` as `lang`. Never fails: unknown languages and parser failures fall back to
/// line windows.
pub fn analyze(lang: Language, text: &str, opts: ChunkOptions) -> FileSyntax {
    analyze_with(lang, text, opts, true).0
}

/// [`analyze`]; with `references == false` the references are left empty (the index counts
/// them while it splits the text into terms). Also returns the syntax tree when the text was
/// parsed (only then does [`analyze`] list references): freeing it is a good part of the cost
/// of a file, and the indexer does that after it has encoded the file (large allocations after
/// the free would make glibc consolidate every freed node first).
pub(crate) fn analyze_with(
    lang: Language,
    text: &str,
    opts: ChunkOptions,
    references: bool,
) -> (FileSyntax, Option<Tree>) {
    let line_count = count_lines(text);
    let Some(ts_lang) = ts_language(lang) else {
        let syn = FileSyntax {
            chunks: line_windows(text, 1, line_count, opts.max_lines),
            ..FileSyntax::default()
        };
        return (syn, None);
    };
    let tree = PARSERS.with(|cell| {
        let mut parsers = cell.borrow_mut();
        // One parser per language and thread, its language set once.
        let parser = match parsers.entry(lang) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let mut parser = Parser::new();
                if parser.set_language(&ts_lang).is_err() {
                    tracing::warn!(
                        language = lang.name(),
                        "tree-sitter grammar rejected (ABI mismatch)"
                    );
                    return None;
                }
                e.insert(parser)
            }
        };
        let tree = parser.parse(text, None);
        if tree.is_none() {
            // A parse that stopped part way would otherwise resume on the next file.
            parser.reset();
        }
        tree
    });
    let Some(tree) = tree else {
        let syn = FileSyntax {
            chunks: line_windows(text, 1, line_count, opts.max_lines),
            ..FileSyntax::default()
        };
        return (syn, None);
    };
    let root = tree.root_node();
    let mut ex = Extractor {
        lang,
        src: text.as_bytes(),
        // Sized for a typical density (one definition per ~280 bytes on the registry corpus):
        // growing it step by step costs more than the unused space.
        symbols: Vec::with_capacity(text.len() / 256 + 4),
        imports: Vec::new(),
    };
    ex.walk_definitions(root);
    let references = if references {
        let defined: FxHashSet<&str> = ex.symbols.iter().map(|s| s.name.as_str()).collect();
        text_references(text, &defined)
    } else {
        Vec::new()
    };
    let mut chunks = Vec::new();
    chunk_children(root, text, opts, &mut chunks);
    if chunks.is_empty() && line_count > 0 {
        chunks = line_windows(text, 1, line_count, opts.max_lines);
    }
    let syn = FileSyntax {
        symbols: ex.symbols,
        imports: ex.imports,
        references,
        chunks,
        has_errors: root.has_error(),
    };
    (syn, Some(tree))
}

fn count_lines(text: &str) -> u32 {
    if text.is_empty() {
        return 0;
    }
    let n = text.bytes().filter(|&b| b == b'\n').count() + usize::from(!text.ends_with('\n'));
    u32::try_from(n).unwrap_or(u32::MAX)
}

struct Extractor<'a> {
    lang: Language,
    src: &'a [u8],
    symbols: Vec<Symbol>,
    imports: Vec<String>,
}

/// 1-based first and last line of a node (a node ending at column 0 ends on the line before).
fn lines_of(node: Node<'_>) -> (u32, u32) {
    let s = node.start_position();
    let e = node.end_position();
    let mut end = e.row;
    if e.column == 0 && end > s.row {
        end -= 1;
    }
    (to_u32(s.row) + 1, to_u32(end) + 1)
}

fn to_u32(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

impl<'a> Extractor<'a> {
    fn text(&self, node: Node<'_>) -> &'a str {
        std::str::from_utf8(&self.src[node.start_byte()..node.end_byte()]).unwrap_or("")
    }

    /// Walks the tree with one cursor, recording definitions and imports. Function bodies are
    /// not entered: nothing defined inside a function is worth listing, and bodies hold most of
    /// a file's nodes.
    fn walk_definitions(&mut self, root: Node<'_>) {
        let mut cursor = root.walk();
        // Enclosing containers with the depth of their node.
        let mut parents: Vec<(SymbolKind, String, usize)> = Vec::new();
        let mut depth = 0usize;
        loop {
            let node = cursor.node();
            // `kind()` looks the name up and checks it as UTF-8: once per node.
            let node_kind = node.kind();
            let mut descend = true;
            self.import(node, node_kind);
            if let Some((kind, _name_node, name)) = self.classify(node, node_kind) {
                let parent = parents.last().map(|p| p.1.clone());
                let kind = match kind {
                    SymbolKind::Function if parents.last().is_some_and(|p| p.0.is_container()) => {
                        SymbolKind::Method
                    }
                    k => k,
                };
                let (start_line, end_line) = lines_of(node);
                let signature = self.signature(node);
                self.symbols.push(Symbol {
                    name: name.clone(),
                    kind,
                    start_line,
                    end_line,
                    signature,
                    parent,
                });
                if kind.is_container() || kind == SymbolKind::Module {
                    parents.push((kind, name, depth));
                } else {
                    // Functions, constants, aliases and macros define nothing worth listing
                    // inside their bodies, values or token trees.
                    descend = false;
                }
            } else if holds_no_definitions(self.lang, node_kind) {
                descend = false;
            }
            if descend && cursor.goto_first_child() {
                depth += 1;
                continue;
            }
            loop {
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() {
                    return;
                }
                depth -= 1;
            }
            while parents.last().is_some_and(|p| p.2 >= depth) {
                parents.pop();
            }
        }
    }

    /// Definition kind and name of `node`, if it defines something.
    fn classify<'t>(
        &self,
        node: Node<'t>,
        kind: &str,
    ) -> Option<(SymbolKind, Option<Node<'t>>, String)> {
        use SymbolKind as K;
        let named = |k: SymbolKind| -> Option<(SymbolKind, Option<Node<'t>>, String)> {
            let n = node.child_by_field_name("name")?;
            Some((k, Some(n), self.text(n).to_owned()))
        };
        match self.lang {
            Language::Rust => match kind {
                "function_item" | "function_signature_item" => named(K::Function),
                "struct_item" | "union_item" => named(K::Struct),
                "enum_item" => named(K::Enum),
                "trait_item" => named(K::Trait),
                "type_item" => named(K::Type),
                "const_item" | "static_item" => named(K::Const),
                "mod_item" => named(K::Module),
                "macro_definition" => named(K::Macro),
                "impl_item" => {
                    let mut t = node.child_by_field_name("type")?;
                    while let Some(inner) = t.child_by_field_name("type") {
                        t = inner;
                    }
                    Some((K::Impl, None, self.text(t).to_owned()))
                }
                _ => None,
            },
            Language::Python => match kind {
                "function_definition" => named(K::Function),
                "class_definition" => named(K::Class),
                "expression_statement" if node.parent().is_some_and(|p| p.kind() == "module") => {
                    let a = node.named_child(0).filter(|a| a.kind() == "assignment")?;
                    let left = a
                        .child_by_field_name("left")
                        .filter(|l| l.kind() == "identifier")?;
                    let name = self.text(left);
                    is_constant_name(name).then(|| (K::Const, Some(left), name.to_owned()))
                }
                _ => None,
            },
            Language::Go => match kind {
                "function_declaration" => named(K::Function),
                "method_declaration" => named(K::Method),
                "type_spec" | "type_alias" => {
                    let k = match node.child_by_field_name("type").map(|t| t.kind()) {
                        Some("struct_type") => K::Struct,
                        Some("interface_type") => K::Interface,
                        _ => K::Type,
                    };
                    named(k)
                }
                "const_spec" => named(K::Const),
                _ => None,
            },
            Language::JavaScript | Language::TypeScript | Language::Tsx => match kind {
                "function_declaration"
                | "generator_function_declaration"
                | "function_signature" => named(K::Function),
                "class_declaration" | "abstract_class_declaration" => named(K::Class),
                "method_definition" | "method_signature" | "abstract_method_signature" => {
                    named(K::Method)
                }
                "interface_declaration" => named(K::Interface),
                "type_alias_declaration" => named(K::Type),
                "enum_declaration" => named(K::Enum),
                "internal_module" | "module" => named(K::Module),
                "variable_declarator" => {
                    let name = node
                        .child_by_field_name("name")
                        .filter(|n| n.kind() == "identifier")?;
                    let value_kind = node.child_by_field_name("value").map(|v| v.kind());
                    if matches!(
                        value_kind,
                        Some("arrow_function" | "function_expression" | "function")
                    ) {
                        return Some((K::Function, Some(name), self.text(name).to_owned()));
                    }
                    if matches!(value_kind, Some("class")) {
                        return Some((K::Class, Some(name), self.text(name).to_owned()));
                    }
                    // Top-level `const X = ...` (possibly exported).
                    let decl = node.parent()?;
                    let top = decl
                        .parent()
                        .is_some_and(|p| matches!(p.kind(), "program" | "export_statement"));
                    let is_const = self.text(decl).starts_with("const");
                    (top && is_const).then(|| (K::Const, Some(name), self.text(name).to_owned()))
                }
                _ => None,
            },
            Language::Java => match kind {
                "class_declaration" | "record_declaration" => named(K::Class),
                "interface_declaration" | "annotation_type_declaration" => named(K::Interface),
                "enum_declaration" => named(K::Enum),
                "method_declaration"
                | "constructor_declaration"
                | "compact_constructor_declaration" => named(K::Method),
                "constant_declaration" => {
                    let d = node.child_by_field_name("declarator")?;
                    let n = d.child_by_field_name("name")?;
                    Some((K::Const, Some(n), self.text(n).to_owned()))
                }
                _ => None,
            },
            Language::C | Language::Cpp => match kind {
                "function_definition" => {
                    let n = declarator_name(node.child_by_field_name("declarator")?)?;
                    Some((K::Function, Some(n), self.text(n).to_owned()))
                }
                "declaration" | "field_declaration" => {
                    let d = node.child_by_field_name("declarator")?;
                    if !has_function_declarator(d) {
                        return None;
                    }
                    let n = declarator_name(d)?;
                    Some((K::Function, Some(n), self.text(n).to_owned()))
                }
                "struct_specifier" | "union_specifier" | "enum_specifier" | "class_specifier" => {
                    node.child_by_field_name("body")?;
                    let k = match kind {
                        "enum_specifier" => K::Enum,
                        "class_specifier" => K::Class,
                        _ => K::Struct,
                    };
                    named(k)
                }
                "type_definition" => {
                    let n = declarator_name(node.child_by_field_name("declarator")?)?;
                    Some((K::Type, Some(n), self.text(n).to_owned()))
                }
                "alias_declaration" | "concept_definition" => named(K::Type),
                "preproc_def" | "preproc_function_def" => named(K::Macro),
                "namespace_definition" => named(K::Module),
                _ => None,
            },
            _ => None,
        }
    }

    fn import(&mut self, node: Node<'_>, kind: &str) {
        let imp: Option<String> = match (self.lang, kind) {
            (Language::Rust, "use_declaration") => node
                .child_by_field_name("argument")
                .map(|a| collapse_ws(self.text(a))),
            (Language::Rust, "mod_item") if node.child_by_field_name("body").is_none() => node
                .child_by_field_name("name")
                .map(|n| format!("mod {}", self.text(n))),
            (Language::Python, "import_statement") => {
                let mut cursor = node.walk();
                let names: Vec<String> = node
                    .children_by_field_name("name", &mut cursor)
                    .map(|n| {
                        let n = n.child_by_field_name("name").unwrap_or(n);
                        self.text(n).to_owned()
                    })
                    .collect();
                for n in names {
                    self.imports.push(n);
                }
                None
            }
            (Language::Python, "import_from_statement") => node
                .child_by_field_name("module_name")
                .map(|n| self.text(n).to_owned()),
            (Language::Go, "import_spec") => node
                .child_by_field_name("path")
                .map(|p| unquote(self.text(p))),
            (
                Language::JavaScript | Language::TypeScript | Language::Tsx,
                "import_statement" | "export_statement",
            ) => node
                .child_by_field_name("source")
                .map(|p| unquote(self.text(p))),
            (Language::Java, "import_declaration") => {
                let t = self.text(node);
                let t = t
                    .trim_start_matches("import")
                    .trim()
                    .trim_start_matches("static")
                    .trim();
                Some(t.trim_end_matches(';').trim().to_owned())
            }
            (Language::C | Language::Cpp, "preproc_include") => {
                node.child_by_field_name("path").map(|p| {
                    let t = self.text(p);
                    t.trim_matches(|c| c == '"' || c == '<' || c == '>')
                        .to_owned()
                })
            }
            _ => None,
        };
        if let Some(i) = imp.filter(|i| !i.is_empty()) {
            self.imports.push(i);
        }
    }

    /// The definition's header: from its start to its body, whitespace collapsed, at most 200 chars.
    fn signature(&self, node: Node<'_>) -> String {
        let body = node.child_by_field_name("body").or_else(|| {
            node.child_by_field_name("value")
                .and_then(|v| v.child_by_field_name("body"))
        });
        let text = match body {
            Some(b) if b.start_byte() > node.start_byte() => {
                std::str::from_utf8(&self.src[node.start_byte()..b.start_byte()]).unwrap_or("")
            }
            _ => {
                let t = self.text(node);
                // Without a body, keep the first line (a constant, a prototype, a field list's head).
                t.lines().next().unwrap_or("")
            }
        };
        let mut s = collapse_ws(text);
        // Declarators inside a declaration (`const x = ...`, Go `type X struct`): prefix the keyword.
        if matches!(
            node.kind(),
            "variable_declarator" | "type_spec" | "const_spec" | "type_alias"
        ) && let Some(p) = node.parent()
        {
            let kw = self.text(p).split_whitespace().next().unwrap_or("");
            let kw = if kw == "export" {
                let t = self.text(p);
                t.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
            } else {
                kw.to_owned()
            };
            if matches!(
                kw.as_str(),
                "const" | "let" | "var" | "type" | "export const" | "export let" | "export var"
            ) {
                s = format!("{kw} {s}");
            }
        }
        while s.ends_with('{') || s.ends_with(':') || s.ends_with('=') {
            s.pop();
            s.truncate(s.trim_end().len());
        }
        if s.len() > 200 {
            let mut cut = 200;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            s.truncate(cut);
            s.push('…');
        }
        s
    }
}

fn is_constant_name(name: &str) -> bool {
    name.len() >= 2
        && name.bytes().any(|b| b.is_ascii_uppercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// Nodes whose subtrees hold no definitions: expressions, literals, comments, attributes and
/// imports (already recorded). Not entering them keeps the walk small on table-heavy files.
fn holds_no_definitions(lang: Language, kind: &str) -> bool {
    let common = matches!(
        kind,
        "expression_statement"
            | "string_literal"
            | "raw_string_literal"
            | "string"
            | "template_string"
            | "comment"
            | "line_comment"
            | "block_comment"
            | "macro_invocation"
            | "token_tree"
            | "attribute_item"
            | "inner_attribute_item"
            | "decorator"
            | "use_declaration"
            | "import_statement"
            | "import_from_statement"
            | "preproc_include"
            | "array_expression"
            | "array"
            | "object"
            | "initializer_list"
            | "arguments"
            | "argument_list"
            | "call_expression"
    );
    common
        || (lang == Language::Java && kind == "import_declaration")
        || (lang == Language::Rust
            && matches!(
                kind,
                "field_declaration_list" | "ordered_field_declaration_list" | "enum_variant_list"
            ))
}

/// Identifiers used in `text` with their counts, sorted: every identifier-shaped word (2 to 64
/// characters, starting with a letter or `_`) except keywords and the names `defined` here.
/// A text scan instead of a walk over every syntax node: it is several times cheaper, and words in
/// comments that name a definition are references a reader would follow too.
fn text_references(text: &str, defined: &FxHashSet<&str>) -> Vec<(String, u32)> {
    let mut counts: FxHashMap<&str, u32> = FxHashMap::default();
    // Runs of ASCII letters, digits and `_` (every other byte, UTF-8 included, separates).
    let words = text
        .as_bytes()
        .split(|&b| !(b.is_ascii_alphanumeric() || b == b'_'))
        .filter_map(|w| std::str::from_utf8(w).ok());
    for w in words {
        if !is_reference_word(w) || defined.contains(w) {
            continue;
        }
        *counts.entry(w).or_insert(0) += 1;
    }
    let mut out: Vec<(String, u32)> = counts.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    out.sort_unstable();
    out
}

/// Whether an identifier-shaped word (a run of ASCII letters, digits and `_`) counts as a
/// reference when it names no definition of the file: 2 to 64 bytes, not starting with a digit,
/// not a keyword.
pub(crate) fn is_reference_word(w: &str) -> bool {
    w.len() >= 2 && w.len() <= 64 && !w.as_bytes()[0].is_ascii_digit() && !is_keyword(w)
}

/// Keywords of the bundled languages (and a few English words) that are never definitions.
fn is_keyword(w: &str) -> bool {
    matches!(
        w,
        "fn" | "let"
            | "pub"
            | "mut"
            | "use"
            | "mod"
            | "impl"
            | "struct"
            | "enum"
            | "trait"
            | "type"
            | "const"
            | "static"
            | "if"
            | "else"
            | "for"
            | "while"
            | "loop"
            | "match"
            | "return"
            | "break"
            | "continue"
            | "in"
            | "as"
            | "self"
            | "Self"
            | "super"
            | "crate"
            | "where"
            | "ref"
            | "dyn"
            | "move"
            | "async"
            | "await"
            | "unsafe"
            | "extern"
            | "true"
            | "false"
            | "def"
            | "class"
            | "import"
            | "from"
            | "pass"
            | "None"
            | "True"
            | "False"
            | "and"
            | "or"
            | "not"
            | "is"
            | "lambda"
            | "with"
            | "yield"
            | "func"
            | "var"
            | "package"
            | "interface"
            | "go"
            | "defer"
            | "chan"
            | "map"
            | "range"
            | "function"
            | "this"
            | "new"
            | "export"
            | "default"
            | "null"
            | "undefined"
            | "public"
            | "private"
            | "protected"
            | "void"
            | "int"
            | "char"
            | "long"
            | "short"
            | "unsigned"
            | "signed"
            | "float"
            | "double"
            | "bool"
            | "auto"
            | "include"
            | "define"
            | "ifdef"
            | "ifndef"
            | "endif"
            | "typedef"
            | "sizeof"
            | "namespace"
            | "template"
            | "typename"
            | "the"
            | "to"
            | "of"
            | "an"
            | "be"
            | "it"
            | "at"
            | "on"
            | "by"
            // Built-in and prelude types: a reference to `u32` is not a reference to a method
            // that happens to be called `u32`.
            | "u8" | "u16" | "u32" | "u64" | "u128" | "usize" | "i8" | "i16" | "i32" | "i64" | "i128"
            | "isize" | "f32" | "f64" | "str" | "String" | "Vec" | "Option" | "Result" | "Some"
            | "Ok" | "Err" | "Box" | "string" | "number" | "boolean" | "any" | "object" | "error"
            | "std" | "core" | "alloc"
            // Standard macros: invoked everywhere, and a test helper of the same name is not
            // what they refer to.
            | "assert" | "assert_eq" | "assert_ne" | "debug_assert" | "debug_assert_eq" | "debug_assert_ne"
            | "println" | "eprintln" | "print" | "eprint" | "format" | "format_args" | "write" | "writeln"
            | "vec" | "panic" | "unreachable" | "todo" | "unimplemented" | "matches" | "concat"
            | "stringify" | "include_str" | "include_bytes" | "cfg" | "env" | "dbg"
    )
}

/// The name inside a C/C++ declarator (`*foo(int)` → `foo`, `ns::Cls::m` → `m`).
fn declarator_name(mut d: Node<'_>) -> Option<Node<'_>> {
    for _ in 0..16 {
        match d.kind() {
            "identifier" | "field_identifier" | "type_identifier" | "destructor_name"
            | "operator_name" => {
                return Some(d);
            }
            "qualified_identifier" => d = d.child_by_field_name("name")?,
            _ => d = d.child_by_field_name("declarator")?,
        }
    }
    None
}

fn has_function_declarator(mut d: Node<'_>) -> bool {
    for _ in 0..16 {
        if d.kind() == "function_declarator" {
            return true;
        }
        match d.child_by_field_name("declarator") {
            Some(inner) => d = inner,
            None => return false,
        }
    }
    false
}

fn unquote(s: &str) -> String {
    s.trim_matches(|c| c == '"' || c == '\'' || c == '`')
        .to_owned()
}

fn collapse_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// The node whose children a too-long node is split along (a body with statements or members).
fn split_body(node: Node<'_>) -> Option<Node<'_>> {
    let mut n = node;
    for _ in 0..3 {
        if let Some(b) = n.child_by_field_name("body") {
            return (b.named_child_count() >= 2).then_some(b);
        }
        // Wrappers: decorated definitions, templates, exports.
        n = n
            .child_by_field_name("definition")
            .or_else(|| n.child_by_field_name("declaration"))
            .or_else(|| n.child_by_field_name("value"))?;
    }
    None
}

/// Groups the children of `parent` into chunks of at most `max_lines`.
fn chunk_children(parent: Node<'_>, text: &str, opts: ChunkOptions, out: &mut Vec<ChunkSpan>) {
    // Current group: (start, end) and the start of a trailing run of comments.
    let mut cur: Option<(u32, u32)> = None;
    let mut comment_run: Option<u32> = None;
    let mut cursor = parent.walk();
    for child in parent.named_children(&mut cursor) {
        let (s, e) = lines_of(child);
        let is_comment = child.kind().contains("comment");
        if e - s + 1 > opts.max_lines {
            // Keep a comment run that documents this node with it.
            let lead = comment_run.take();
            if let Some((cs, ce)) = cur.take() {
                match lead {
                    Some(l) if l > cs => out.push(ChunkSpan {
                        start_line: cs,
                        end_line: l - 1,
                    }),
                    Some(_) => {}
                    None => out.push(ChunkSpan {
                        start_line: cs,
                        end_line: ce,
                    }),
                }
            }
            let start = lead.unwrap_or(s);
            let first = out.len();
            match split_body(child) {
                Some(body) => chunk_children(body, text, opts, out),
                None => out.extend(line_windows(text, s, e, opts.max_lines)),
            }
            if out.len() > first {
                // The header (signature, leading comments) joins the first piece, the closing
                // line the last.
                out[first].start_line = out[first].start_line.min(start);
                let last = out.len() - 1;
                out[last].end_line = out[last].end_line.max(e);
            } else {
                out.extend(line_windows(text, start, e, opts.max_lines));
            }
            continue;
        }
        match cur {
            Some((cs, _)) if e - cs < opts.merge_lines => {
                cur = Some((cs, e));
            }
            Some((cs, ce)) => {
                match comment_run {
                    // Leading comments of this node move with it to the next chunk.
                    Some(l) if l > cs && !is_comment => {
                        out.push(ChunkSpan {
                            start_line: cs,
                            end_line: l - 1,
                        });
                        cur = Some((l, e));
                    }
                    _ => {
                        out.push(ChunkSpan {
                            start_line: cs,
                            end_line: ce,
                        });
                        cur = Some((s, e));
                    }
                }
            }
            None => cur = Some((s, e)),
        }
        if is_comment {
            comment_run.get_or_insert(s);
        } else {
            comment_run = None;
        }
    }
    if let Some((cs, ce)) = cur {
        out.push(ChunkSpan {
            start_line: cs,
            end_line: ce,
        });
    }
}

/// Line windows over `[start, end]` of at most `max` lines, preferring to break at a blank line
/// or a Markdown heading in the last third of a window.
pub fn line_windows(text: &str, start: u32, end: u32, max: u32) -> Vec<ChunkSpan> {
    let mut out = Vec::new();
    if end < start || start == 0 {
        return out;
    }
    let max = max.max(1);
    let lines: Vec<&str> = text.lines().collect();
    let line = |n: u32| lines.get(n as usize - 1).copied().unwrap_or("");
    let mut s = start;
    while s <= end {
        let hard = (s + max - 1).min(end);
        let mut cut = hard;
        if hard < end {
            let min_cut = s + (max * 2) / 3;
            for n in (min_cut..=hard).rev() {
                if (line(n + 1).starts_with('#') && !line(n + 1).starts_with("#["))
                    || line(n).trim().is_empty()
                {
                    cut = n;
                    break;
                }
            }
        }
        out.push(ChunkSpan {
            start_line: s,
            end_line: cut,
        });
        s = cut + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_everything() {
        let text: String = (1..=130).map(|i| format!("line {i}\n")).collect();
        let w = line_windows(&text, 1, 130, 60);
        assert_eq!(w.first().unwrap().start_line, 1);
        assert_eq!(w.last().unwrap().end_line, 130);
        for pair in w.windows(2) {
            assert_eq!(pair[0].end_line + 1, pair[1].start_line);
        }
        assert!(w.iter().all(|c| c.end_line - c.start_line < 60));
    }

    #[test]
    fn degenerate_sizes_terminate() {
        let text = "a\nb\nc\n";
        assert_eq!(line_windows(text, 1, 3, 0).len(), 3);
        let s = analyze(
            Language::Rust,
            "fn a() {}\nfn b() {}\n",
            ChunkOptions {
                max_lines: 0,
                merge_lines: 0,
            },
        );
        assert!(!s.chunks.is_empty());
    }

    #[test]
    fn long_function_is_split_along_statements() {
        let mut src = String::from("/// Docs.\nfn big() {\n");
        for i in 0..150 {
            src.push_str(&format!("    let x{i} = {i};\n"));
        }
        src.push_str("}\n");
        let s = analyze(Language::Rust, &src, ChunkOptions::default());
        assert!(s.chunks.len() >= 3, "{:?}", s.chunks);
        assert_eq!(s.chunks[0].start_line, 1);
        assert_eq!(s.chunks.last().unwrap().end_line, 153);
        assert!(s.chunks.iter().all(|c| c.end_line - c.start_line < 60));
    }
}
