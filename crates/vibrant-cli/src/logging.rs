//! Logging: `tracing` events go to stderr (never stdout), filtered by `VIBRANT_LOG` (env-filter
//! syntax) if set, else by `-v`/`-q`, else by the `log.level` config key. While a full-screen
//! command (`vibrant chat`) owns the terminal, [`redirect_to_file`] sends them to a file instead.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use anyhow::{Context, Result};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Where log lines go instead of stderr, while set.
static LOG_FILE: Mutex<Option<File>> = Mutex::new(None);

/// Writes each log line to the redirect file when one is set, else to stderr.
struct Sink;

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match LOG_FILE.lock() {
            Ok(mut guard) => match guard.as_mut() {
                Some(f) => f.write(buf),
                None => std::io::stderr().write(buf),
            },
            Err(_) => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match LOG_FILE.lock() {
            Ok(mut guard) => match guard.as_mut() {
                Some(f) => f.flush(),
                None => std::io::stderr().flush(),
            },
            Err(_) => Ok(()),
        }
    }
}

impl<'a> MakeWriter<'a> for Sink {
    type Writer = Sink;
    fn make_writer(&'a self) -> Self::Writer {
        Sink
    }
}

/// Sends log lines to `path` (appended, created with its directory) until [`restore_stderr`].
pub fn redirect_to_file(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the log directory {}", dir.display()))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening the log file {}", path.display()))?;
    if let Ok(mut guard) = LOG_FILE.lock() {
        *guard = Some(file);
    }
    Ok(())
}

/// Sends log lines to stderr again.
pub fn restore_stderr() {
    if let Ok(mut guard) = LOG_FILE.lock() {
        *guard = None;
    }
}

/// The filter for `-v`/`-q` counts, or `None` when neither was given.
fn level_for(verbose: u8, quiet: u8) -> Option<&'static str> {
    match (verbose, quiet) {
        (0, 0) => None,
        (0, 1) => Some("error"),
        (0, _) => Some("off"),
        (1, _) => Some("info"),
        (2, _) => Some("debug"),
        _ => Some("trace"),
    }
}

/// Installs the global subscriber.
pub fn init(verbose: u8, quiet: u8, config_level: Option<&str>, ansi: bool) -> Result<()> {
    let filter = match std::env::var("VIBRANT_LOG").ok().filter(|v| !v.trim().is_empty()) {
        Some(spec) => EnvFilter::try_new(&spec)
            .with_context(|| format!("VIBRANT_LOG={spec:?} is not a valid log filter (try `debug` or `vibrant_engine=trace`)"))?,
        None => match level_for(verbose, quiet) {
            Some(level) => EnvFilter::new(level),
            None => {
                let spec = config_level.unwrap_or("warn");
                EnvFilter::try_new(spec).with_context(|| {
                    format!("config key `log.level` = {spec:?} is not a valid log filter (try `warn` or `info`)")
                })?
            }
        },
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Sink)
        .with_ansi(ansi)
        .with_target(verbose >= 2)
        .without_time()
        .try_init();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::level_for;

    #[test]
    fn verbosity_flags_map_to_levels() {
        assert_eq!(level_for(0, 0), None);
        assert_eq!(level_for(1, 0), Some("info"));
        assert_eq!(level_for(2, 0), Some("debug"));
        assert_eq!(level_for(5, 0), Some("trace"));
        assert_eq!(level_for(0, 1), Some("error"));
        assert_eq!(level_for(0, 2), Some("off"));
    }
}
