//! Output helpers: when to use color (`--color`, `ui.color`, `NO_COLOR`, terminals), how to paint,
//! and how errors are reported. Data goes to stdout; logs, hints and errors to stderr.

use std::io::{IsTerminal, Write};

use vibrant_config::ColorChoice;

/// Whether each stream gets ANSI colors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColorMode {
    pub stdout: bool,
    pub stderr: bool,
}

impl ColorMode {
    /// `--color` beats the configured `ui.color`; `auto` colors a terminal unless `NO_COLOR` is
    /// set (to anything non-empty) or `TERM=dumb`.
    pub fn resolve(configured: Option<ColorChoice>, flag: Option<&str>) -> Self {
        let choice = flag
            .and_then(|f| f.parse().ok())
            .or(configured)
            .unwrap_or(ColorChoice::Auto);
        match choice {
            ColorChoice::Always => Self {
                stdout: true,
                stderr: true,
            },
            ColorChoice::Never => Self {
                stdout: false,
                stderr: false,
            },
            ColorChoice::Auto => {
                let allowed = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var_os("TERM").is_none_or(|t| t != "dumb");
                Self {
                    stdout: allowed && std::io::stdout().is_terminal(),
                    stderr: allowed && std::io::stderr().is_terminal(),
                }
            }
        }
    }
}

/// ANSI styles used by the commands.
#[derive(Debug, Clone, Copy)]
pub enum Style {
    Bold,
    Dim,
    Cyan,
    Red,
    Yellow,
}

/// `text` in `style` when `enabled`, else unchanged.
pub fn paint(enabled: bool, style: Style, text: &str) -> String {
    if !enabled {
        return text.to_owned();
    }
    let code = match style {
        Style::Bold => "1",
        Style::Dim => "2",
        Style::Cyan => "36",
        Style::Red => "1;31",
        Style::Yellow => "1;33",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// Text from the model, a command or a file made safe to print on a terminal: control
/// characters (ANSI/OSC escape sequences that recolor, retitle, hide text or write the
/// clipboard, a carriage return that overwrites the line, backspaces) and bidirectional
/// overrides (text that reads differently than it runs) are shown as visible escapes
/// (`\e`, `\r`, `\u{202e}`); newlines and tabs stay.
pub fn inert(text: &str) -> String {
    if !text
        .chars()
        .any(|c| (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c))
    {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            '\u{1b}' => out.push_str("\\e"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || is_bidi_control(c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// Whether the error is a write to a closed pipe (`vibrant … | head -1`): not worth reporting.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    let broken = Some(std::io::ErrorKind::BrokenPipe);
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind)
            == broken
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == broken
    })
}

/// Prints `error: …` and one `caused by: …` line per cause.
pub fn report_error(w: &mut impl Write, err: &anyhow::Error) {
    let color = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let _ = writeln!(w, "{} {err}", paint(color, Style::Red, "error:"));
    for cause in err.chain().skip(1) {
        let _ = writeln!(w, "  {} {cause}", paint(color, Style::Yellow, "caused by:"));
    }
}

/// Formats a byte count for people: `23.5 GiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn terminal_control_from_the_model_is_shown_not_obeyed() {
        use super::inert;
        // OSC 52 (write the clipboard), a color, a carriage return that hides `rm -rf ~`, a
        // backspace, a right-to-left override.
        let hostile = "ls\u{1b}]52;c;cm0gLXJmIH4=\u{7}\u{1b}[2K\rrm -rf ~\u{8}\u{202e}txt.exe";
        let shown = inert(hostile);
        assert!(!shown.chars().any(|c| c.is_control()), "{shown:?}");
        assert_eq!(
            shown,
            "ls\\e]52;c;cm0gLXJmIH4=\\u{7}\\e[2K\\rrm -rf ~\\u{8}\\u{202e}txt.exe"
        );
        assert_eq!(inert("fn main() {\n\tok\n}"), "fn main() {\n\tok\n}");
        assert_eq!(inert("naïve — ✓"), "naïve — ✓");
    }

    use super::*;

    #[test]
    fn human_bytes_picks_binary_units() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(24_684_092 * 1024), "23.5 GiB");
    }

    #[test]
    fn flag_beats_config_and_never_means_never() {
        let m = ColorMode::resolve(Some(ColorChoice::Always), Some("never"));
        assert_eq!(
            m,
            ColorMode {
                stdout: false,
                stderr: false
            }
        );
        let m = ColorMode::resolve(Some(ColorChoice::Always), None);
        assert_eq!(
            m,
            ColorMode {
                stdout: true,
                stderr: true
            }
        );
        assert_eq!(paint(false, Style::Bold, "x"), "x");
        assert_eq!(paint(true, Style::Bold, "x"), "\x1b[1mx\x1b[0m");
    }

    #[test]
    fn error_report_lists_causes() {
        let err = anyhow::anyhow!("disk on fire").context("saving config");
        let mut out = Vec::new();
        report_error(&mut out, &err);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "error: saving config\n  caused by: disk on fire\n"
        );
        let pipe = anyhow::Error::from(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
            .context("writing");
        assert!(is_broken_pipe(&pipe));
        assert!(!is_broken_pipe(&err));
    }
}
