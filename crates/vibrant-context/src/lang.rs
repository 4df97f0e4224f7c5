//! Language detection by file name, extension and shebang.

use std::path::Path;

macro_rules! languages {
    ($($variant:ident = $code:literal, $name:literal;)*) => {
        /// A file's language. Only some have a tree-sitter grammar ([`Language::has_grammar`]);
        /// the rest are indexed as text.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Language {
            $(#[doc = $name] $variant,)*
        }

        impl Language {
            /// Human-readable name.
            pub fn name(self) -> &'static str {
                match self { $(Self::$variant => $name,)* }
            }
            /// Stable code used in the index file.
            pub(crate) fn code(self) -> u8 {
                match self { $(Self::$variant => $code,)* }
            }
            /// Inverse of [`Language::code`]; unknown codes read as plain text.
            pub(crate) fn from_code(code: u8) -> Self {
                match code { $($code => Self::$variant,)* _ => Self::Text }
            }
        }
    };
}

languages! {
    Rust = 1, "Rust";
    Python = 2, "Python";
    Go = 3, "Go";
    JavaScript = 4, "JavaScript";
    TypeScript = 5, "TypeScript";
    Tsx = 6, "TSX";
    Java = 7, "Java";
    C = 8, "C";
    Cpp = 9, "C++";
    Markdown = 20, "Markdown";
    Toml = 21, "TOML";
    Json = 22, "JSON";
    Yaml = 23, "YAML";
    Shell = 24, "Shell";
    Html = 25, "HTML";
    Css = 26, "CSS";
    Ruby = 27, "Ruby";
    Kotlin = 28, "Kotlin";
    Swift = 29, "Swift";
    CSharp = 30, "C#";
    Php = 31, "PHP";
    Scala = 32, "Scala";
    Lua = 33, "Lua";
    Sql = 34, "SQL";
    Make = 35, "Makefile";
    CMake = 36, "CMake";
    Perl = 37, "Perl";
    Xml = 38, "XML";
    Text = 0, "Text";
}

impl Language {
    /// Whether symbols and syntax-aligned chunks are extracted (tree-sitter grammar bundled).
    pub fn has_grammar(self) -> bool {
        matches!(
            self,
            Self::Rust
                | Self::Python
                | Self::Go
                | Self::JavaScript
                | Self::TypeScript
                | Self::Tsx
                | Self::Java
                | Self::C
                | Self::Cpp
        )
    }

    /// Whether this is a programming language (as opposed to docs, data or config).
    pub fn is_code(self) -> bool {
        !matches!(
            self,
            Self::Markdown
                | Self::Toml
                | Self::Json
                | Self::Yaml
                | Self::Xml
                | Self::Text
                | Self::Html
                | Self::Css
        )
    }

    /// Markdown fence tag for this language.
    pub fn fence(self) -> &'static str {
        match self {
            Self::Rust => "rust",
            Self::Python => "python",
            Self::Go => "go",
            Self::JavaScript => "javascript",
            Self::TypeScript => "typescript",
            Self::Tsx => "tsx",
            Self::Java => "java",
            Self::C => "c",
            Self::Cpp => "cpp",
            Self::Markdown => "markdown",
            Self::Toml => "toml",
            Self::Json => "json",
            Self::Yaml => "yaml",
            Self::Shell => "sh",
            Self::Html => "html",
            Self::Css => "css",
            Self::Ruby => "ruby",
            Self::Kotlin => "kotlin",
            Self::Swift => "swift",
            Self::CSharp => "csharp",
            Self::Php => "php",
            Self::Scala => "scala",
            Self::Lua => "lua",
            Self::Sql => "sql",
            Self::Make => "make",
            Self::CMake => "cmake",
            Self::Perl => "perl",
            Self::Xml => "xml",
            Self::Text => "",
        }
    }

    /// Language from the file name alone; `None` when the name says nothing.
    pub fn from_path(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_str()?;
        match name {
            "Makefile" | "makefile" | "GNUmakefile" => return Some(Self::Make),
            "CMakeLists.txt" => return Some(Self::CMake),
            "Dockerfile" | "Jenkinsfile" => return Some(Self::Text),
            _ => {}
        }
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "rs" => Self::Rust,
            "py" | "pyi" | "pyw" => Self::Python,
            "go" => Self::Go,
            "js" | "mjs" | "cjs" | "jsx" => Self::JavaScript,
            "ts" | "mts" | "cts" => Self::TypeScript,
            "tsx" => Self::Tsx,
            "java" => Self::Java,
            "c" | "h" => Self::C,
            "cc" | "cpp" | "cxx" | "c++" | "hh" | "hpp" | "hxx" | "h++" | "inl" | "ipp" => {
                Self::Cpp
            }
            "md" | "markdown" | "mdx" => Self::Markdown,
            "toml" => Self::Toml,
            "json" | "jsonc" => Self::Json,
            "yml" | "yaml" => Self::Yaml,
            "sh" | "bash" | "zsh" | "fish" => Self::Shell,
            "html" | "htm" => Self::Html,
            "css" | "scss" | "sass" | "less" => Self::Css,
            "rb" => Self::Ruby,
            "kt" | "kts" => Self::Kotlin,
            "swift" => Self::Swift,
            "cs" => Self::CSharp,
            "php" => Self::Php,
            "scala" | "sc" => Self::Scala,
            "lua" => Self::Lua,
            "sql" => Self::Sql,
            "mk" => Self::Make,
            "cmake" => Self::CMake,
            "pl" | "pm" => Self::Perl,
            "xml" | "svg" => Self::Xml,
            "txt" | "rst" | "adoc" | "cfg" | "ini" | "conf" => Self::Text,
            _ => return None,
        })
    }

    /// Language from a `#!` first line (`#!/usr/bin/env python3`, `#!/bin/sh`, ...).
    pub fn from_shebang(first_line: &str) -> Option<Self> {
        let rest = first_line.strip_prefix("#!")?;
        let mut words = rest.split_whitespace();
        let mut prog = words.next()?.rsplit('/').next()?;
        if prog == "env" {
            prog = words.find(|w| !w.starts_with('-'))?;
        }
        let prog = prog.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
        Some(match prog {
            "python" => Self::Python,
            "node" | "nodejs" | "deno" | "bun" => Self::JavaScript,
            "sh" | "bash" | "zsh" | "dash" | "ksh" | "fish" => Self::Shell,
            "ruby" => Self::Ruby,
            "perl" => Self::Perl,
            "lua" => Self::Lua,
            _ => return None,
        })
    }

    /// Detects the language from the path, then the shebang of `head` (the file's first bytes).
    pub fn detect(path: &Path, head: &[u8]) -> Self {
        if let Some(l) = Self::from_path(path) {
            return l;
        }
        let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
        std::str::from_utf8(first)
            .ok()
            .and_then(Self::from_shebang)
            .unwrap_or(Self::Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_extension_and_name() {
        assert_eq!(
            Language::from_path(Path::new("src/main.rs")),
            Some(Language::Rust)
        );
        assert_eq!(
            Language::from_path(Path::new("a/b.TSX")),
            Some(Language::Tsx)
        );
        assert_eq!(Language::from_path(Path::new("x.hpp")), Some(Language::Cpp));
        assert_eq!(
            Language::from_path(Path::new("Makefile")),
            Some(Language::Make)
        );
        assert_eq!(
            Language::from_path(Path::new("CMakeLists.txt")),
            Some(Language::CMake)
        );
        assert_eq!(Language::from_path(Path::new("script")), None);
    }

    #[test]
    fn by_shebang() {
        assert_eq!(
            Language::detect(Path::new("tool"), b"#!/usr/bin/env python3\nprint(1)"),
            Language::Python
        );
        assert_eq!(
            Language::detect(Path::new("run"), b"#!/bin/bash -e\n"),
            Language::Shell
        );
        assert_eq!(
            Language::detect(Path::new("x"), b"#!/usr/bin/env -S node --x\n"),
            Language::JavaScript
        );
        assert_eq!(
            Language::detect(Path::new("notes"), b"hello"),
            Language::Text
        );
    }

    #[test]
    fn codes_roundtrip() {
        for l in [
            Language::Rust,
            Language::Cpp,
            Language::Text,
            Language::Xml,
            Language::Tsx,
        ] {
            assert_eq!(Language::from_code(l.code()), l);
        }
    }
}
