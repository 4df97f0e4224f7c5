//! Syntax highlighting of code blocks in answers (`vibrant ask` on a terminal, the `vibrant chat`
//! scrollback) with syntect's bundled Sublime Text grammars (about 75 languages) and one theme.
//!
//! The grammars are loaded once, on first use (a packed dump, ~20 ms), never by commands that
//! print no answers. [`MarkdownStream`] renders a streamed answer line by line for a terminal:
//! prose passes through as it arrives, code lines are highlighted when complete.

use std::sync::LazyLock;

use syntect::easy::HighlightLines;
use syntect::highlighting::{Color, Theme, ThemeSet};
use syntect::parsing::{SyntaxReference, SyntaxSet};

/// The grammars and the theme.
pub struct Highlighter {
    syntaxes: SyntaxSet,
    theme: Theme,
}

static HIGHLIGHTER: LazyLock<Option<Highlighter>> = LazyLock::new(|| {
    let started = std::time::Instant::now();
    let syntaxes = SyntaxSet::load_defaults_newlines();
    let mut themes = ThemeSet::load_defaults();
    let theme = themes.themes.remove("base16-ocean.dark")?;
    tracing::debug!(
        ms = started.elapsed().as_millis(),
        syntaxes = syntaxes.syntaxes().len(),
        "loaded syntax highlighting"
    );
    Some(Highlighter { syntaxes, theme })
});

/// The shared highlighter (`None` only if the bundled theme were missing).
pub fn highlighter() -> Option<&'static Highlighter> {
    HIGHLIGHTER.as_ref()
}

/// Fence info strings that name a language by another name than its grammar does.
fn alias(lang: &str) -> &str {
    match lang {
        "ts" | "typescript" | "tsx" | "jsx" | "mjs" | "cjs" => "js",
        "py" | "python3" => "python",
        "rs" => "rust",
        "sh" | "shell" | "zsh" | "console" => "bash",
        "c++" | "cc" | "hpp" | "cxx" => "cpp",
        "yml" => "yaml",
        "golang" => "go",
        "kt" | "kotlin" => "java",
        "patch" => "diff",
        "md" => "markdown",
        "objc" | "objective-c" => "m",
        "objcpp" | "objective-c++" => "mm",
        "csharp" | "c#" => "cs",
        "jsonc" | "json5" => "json",
        other => other,
    }
}

impl Highlighter {
    /// The grammar for a fence's info string (`rust`, `py`, `ts`…), if there is one.
    pub fn syntax(&self, lang: &str) -> Option<&SyntaxReference> {
        let lang = lang.trim().split([' ', ',', '{']).next().unwrap_or("");
        if lang.is_empty() {
            return None;
        }
        let lower = lang.to_ascii_lowercase();
        let name = alias(&lower);
        self.syntaxes
            .find_syntax_by_token(name)
            .or_else(|| self.syntaxes.find_syntax_by_extension(name))
    }

    /// How many languages it has grammars for.
    #[cfg(test)]
    pub fn languages(&self) -> usize {
        self.syntaxes.syntaxes().len()
    }

    /// A line-by-line highlighter for one code block, `None` for a language it does not know.
    pub fn block(&'static self, lang: &str) -> Option<CodeBlock> {
        let syntax = self.syntax(lang)?;
        Some(CodeBlock {
            lines: HighlightLines::new(syntax, &self.theme),
            syntaxes: &self.syntaxes,
            plain: self.theme.settings.foreground.unwrap_or(Color::WHITE),
        })
    }
}

/// The state of one code block being highlighted.
pub struct CodeBlock {
    lines: HighlightLines<'static>,
    syntaxes: &'static SyntaxSet,
    /// The theme's plain-text colour: pieces in it are left in the terminal's own colour.
    plain: Color,
}

impl CodeBlock {
    /// The pieces of `line` (without its newline) and their colours; `None` for plain text (the
    /// terminal's own colour). A line the grammar cannot parse comes back as one plain piece.
    pub fn line(&mut self, line: &str) -> Vec<(Option<Rgb>, String)> {
        let with_nl = format!("{line}\n");
        match self.lines.highlight_line(&with_nl, self.syntaxes) {
            Ok(pieces) => {
                let mut out: Vec<(Option<Rgb>, String)> = Vec::new();
                for (style, text) in pieces {
                    let text = text.trim_end_matches('\n');
                    if text.is_empty() {
                        continue;
                    }
                    let c = style.foreground;
                    let colour = (c != self.plain).then_some(Rgb(c.r, c.g, c.b));
                    // Neighbours of one colour are merged: fewer spans, fewer escapes.
                    match out.last_mut() {
                        Some((last, t)) if *last == colour => t.push_str(text),
                        _ => out.push((colour, text.to_owned())),
                    }
                }
                out
            }
            Err(e) => {
                tracing::debug!("highlighting failed: {e}");
                vec![(None, line.to_owned())]
            }
        }
    }
}

/// A 24-bit colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// The nearest colour of the xterm 256-colour palette's 6×6×6 cube (for terminals without
    /// 24-bit colour).
    pub fn to_256(self) -> u8 {
        let level = |v: u8| -> u8 {
            // The cube's levels are 0, 95, 135, 175, 215, 255.
            if v < 48 {
                0
            } else if v < 115 {
                1
            } else {
                (v - 35) / 40
            }
        };
        16 + 36 * level(self.0) + 6 * level(self.1) + level(self.2)
    }
}

/// Whether the terminal says it shows 24-bit colour (`COLORTERM=truecolor` or `24bit`); others
/// get the nearest of 256 colours.
pub fn truecolor() -> bool {
    std::env::var("COLORTERM").is_ok_and(|v| v == "truecolor" || v == "24bit")
}

/// `text` in `colour` as an ANSI escape sequence (plain when `None`).
fn paint(colour: Option<Rgb>, truecolor: bool, text: &str, out: &mut String) {
    match colour {
        None => out.push_str(text),
        Some(c) if truecolor => {
            out.push_str(&format!("\x1b[38;2;{};{};{}m{text}\x1b[0m", c.0, c.1, c.2));
        }
        Some(c) => out.push_str(&format!("\x1b[38;5;{}m{text}\x1b[0m", c.to_256())),
    }
}

/// Whether a line opens or closes a fenced code block (at most three spaces of indent).
fn is_fence(line: &str) -> bool {
    let t = line.trim_start();
    line.len() - t.len() < 4 && t.starts_with("```")
}

/// Renders a streamed markdown answer for a terminal: prose is passed through as it arrives
/// (headings bold), fenced code is highlighted a line at a time. Without colour it passes
/// everything through unchanged.
pub struct MarkdownStream {
    color: bool,
    truecolor: bool,
    /// The current line so far (held only while it might be a fence or heading, or inside code).
    line: String,
    /// Bytes of the current line already written (prose streams through).
    written: usize,
    /// Inside a code block: its highlighter, if the language is known.
    code: Option<Option<CodeBlock>>,
}

impl MarkdownStream {
    /// `color`: highlight (a terminal without `NO_COLOR`); else text passes through untouched.
    pub fn new(color: bool) -> Self {
        Self {
            color,
            truecolor: truecolor(),
            line: String::new(),
            written: 0,
            code: None,
        }
    }

    /// Adds a piece of the answer; returns what to print now.
    pub fn push(&mut self, delta: &str) -> String {
        if !self.color {
            return delta.to_owned();
        }
        let mut out = String::new();
        for ch in delta.chars() {
            if ch == '\n' {
                self.end_line(&mut out);
                out.push('\n');
                continue;
            }
            self.line.push(ch);
            if self.code.is_none() && !self.may_be_markup() {
                // Plain prose: stream it.
                out.push_str(&self.line[self.written..]);
                self.written = self.line.len();
            }
        }
        out
    }

    /// The rest of the answer (a last line without a newline).
    pub fn finish(&mut self) -> String {
        let mut out = String::new();
        if !self.line.is_empty() {
            self.end_line(&mut out);
        }
        out
    }

    /// The line so far could still turn out to be a code fence or a heading (held back until
    /// it is complete; a prose line is streamed from the character that rules both out).
    fn may_be_markup(&self) -> bool {
        if self.written > 0 {
            return false;
        }
        let t = self.line.trim_start();
        let indent = self.line.len() - t.len();
        self.line.starts_with('#') || (indent < 4 && ("```".starts_with(t) || t.starts_with("```")))
    }

    fn end_line(&mut self, out: &mut String) {
        let line = std::mem::take(&mut self.line);
        let written = std::mem::replace(&mut self.written, 0);
        if written == 0 && is_fence(&line) {
            if self.code.take().is_none() {
                let lang = line.trim_start().trim_start_matches('`');
                self.code = Some(highlighter().and_then(|h| h.block(lang)));
            }
            out.push_str(&format!("\x1b[2m{line}\x1b[0m"));
            return;
        }
        match &mut self.code {
            Some(Some(block)) => {
                for (colour, text) in block.line(&line) {
                    paint(colour, self.truecolor, &text, out);
                }
            }
            Some(None) => out.push_str(&line),
            None if written == 0 && line.starts_with('#') => {
                out.push_str(&format!("\x1b[1m{line}\x1b[0m"));
            }
            None => out.push_str(&line[written..]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The colour of the piece containing `text`.
    fn colour_of(pieces: &[(Option<Rgb>, String)], text: &str) -> Option<Rgb> {
        pieces
            .iter()
            .find(|(_, t)| t.contains(text))
            .unwrap_or_else(|| panic!("{text:?} not in {pieces:?}"))
            .0
    }

    #[test]
    fn knows_many_languages_and_aliases() {
        let h = highlighter().unwrap();
        assert!(h.languages() >= 30, "{} grammars", h.languages());
        for lang in [
            "rust", "rs", "python", "py", "js", "ts", "go", "java", "c", "cpp", "c++", "bash",
            "sh", "json", "yaml", "diff", "html", "css", "sql", "ruby", "php", "lua", "haskell",
            "scala", "perl", "r", "makefile", "xml", "markdown", "lisp", "ocaml", "erlang",
            "latex", "d", "objc", "csharp", "cs",
        ] {
            assert!(h.syntax(lang).is_some(), "{lang}");
        }
        assert!(
            h.syntax("rust,ignore").is_some(),
            "attributes after the language"
        );
        assert!(h.syntax("no-such-language").is_none());
        assert!(h.syntax("").is_none());
    }

    #[test]
    fn keywords_and_strings_get_different_colours_in_rust_and_python() {
        let h = highlighter().unwrap();
        let mut rust = h.block("rust").unwrap();
        let pieces = rust.line("fn main() { let s = \"hi\"; }");
        let (kw, s) = (colour_of(&pieces, "fn"), colour_of(&pieces, "hi"));
        assert!(kw.is_some() && s.is_some(), "{pieces:?}");
        assert_ne!(kw, s);
        let mut py = h.block("py").unwrap();
        let pieces = py.line("def f(): return 'x'");
        let (kw, s) = (colour_of(&pieces, "def"), colour_of(&pieces, "x"));
        assert!(kw.is_some() && s.is_some(), "{pieces:?}");
        assert_ne!(kw, s);
        // The pieces put back together are the line.
        let text: String = pieces.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(text, "def f(): return 'x'");
        // State carries across lines: the second line of a Python string is still a string.
        let mut py = h.block("python").unwrap();
        let first = py.line("s = \"\"\"doc");
        let second = py.line("still doc\"\"\"");
        assert_eq!(colour_of(&second, "still"), colour_of(&first, "doc"));
    }

    #[test]
    fn palette_fallback_maps_to_the_colour_cube() {
        assert_eq!(Rgb(0, 0, 0).to_256(), 16);
        assert_eq!(Rgb(255, 255, 255).to_256(), 231);
        assert_eq!(Rgb(255, 0, 0).to_256(), 196);
        assert_eq!(Rgb(95, 135, 175).to_256(), 16 + 36 + 12 + 3);
    }

    /// Feeds `pieces` through a stream and returns all it printed.
    fn render(color: bool, pieces: &[&str]) -> String {
        let mut m = MarkdownStream::new(color);
        let mut out: String = pieces.iter().map(|p| m.push(p)).collect();
        out.push_str(&m.finish());
        out
    }

    #[test]
    fn stream_highlights_code_and_passes_prose_through() {
        let out = render(
            true,
            &["Here", " it is:\n``", "`rust\nfn ", "main() {}\n```\nDone."],
        );
        assert!(
            out.starts_with("Here it is:\n\x1b[2m```rust\x1b[0m\n"),
            "{out:?}"
        );
        assert!(out.contains("\x1b[38;"), "code is coloured: {out:?}");
        assert!(out.ends_with("\x1b[2m```\x1b[0m\nDone."), "{out:?}");
        // Without the escapes, the text is the answer.
        let plain = strip_ansi(&out);
        assert_eq!(plain, "Here it is:\n```rust\nfn main() {}\n```\nDone.");
        // Prose arrives as soon as it is typed; code waits for its line to end.
        let mut m = MarkdownStream::new(true);
        assert_eq!(m.push("Hello"), "Hello");
        assert_eq!(
            m.push(" world\n```py\nx = "),
            " world\n\x1b[2m```py\x1b[0m\n"
        );
        assert!(m.push("1\n").contains("x"));
        // A heading is bold; a line starting with backticks that is no fence streams as prose.
        assert_eq!(render(true, &["# Title\n"]), "\x1b[1m# Title\x1b[0m\n");
        assert_eq!(render(true, &["`x` is"]), "`x` is");
    }

    #[test]
    fn unknown_language_is_plain_and_no_color_is_untouched() {
        let out = render(true, &["```zzz\nx = 1\n```\n"]);
        assert_eq!(out, "\x1b[2m```zzz\x1b[0m\nx = 1\n\x1b[2m```\x1b[0m\n");
        let answer = "# Hi\n```rust\nfn x() {}\n```\nbye";
        assert_eq!(render(false, &[answer]), answer);
    }

    /// `s` without ANSI escape sequences.
    fn strip_ansi(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }
}
