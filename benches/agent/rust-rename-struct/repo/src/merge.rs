use crate::config::Config;

/// Combines two configurations: every field of `overlay` that differs from
/// `Config::default()` replaces the one in `base`.
pub fn merge(base: &Config, overlay: &Config) -> Config {
    let defaults = Config::default();
    let mut out = base.clone();
    if overlay.host != defaults.host {
        out.host = overlay.host.clone();
    }
    if overlay.port != defaults.port {
        out.port = overlay.port;
    }
    if overlay.workers != defaults.workers {
        out.workers = overlay.workers;
    }
    if overlay.log_level != defaults.log_level {
        out.log_level = overlay.log_level;
    }
    if overlay.timeout_secs != defaults.timeout_secs {
        out.timeout_secs = overlay.timeout_secs;
    }
    out
}
