//! Logging: `tracing` events go to stderr (never stdout), filtered by `VIBRANT_LOG` (env-filter
//! syntax) if set, else by `-v`/`-q`, else by the `log.level` config key.

use anyhow::{Context, Result};
use tracing_subscriber::EnvFilter;

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
        .with_writer(std::io::stderr)
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
