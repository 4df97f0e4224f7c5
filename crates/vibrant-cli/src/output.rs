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
