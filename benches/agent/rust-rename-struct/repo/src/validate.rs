use crate::config::Config;

/// Something wrong with a `Config` that parsed fine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    EmptyHost,
    PortZero,
    NoWorkers,
    TimeoutNotPositive,
}

/// All problems with `config`, in field order; empty when it is usable.
pub fn validate(config: &Config) -> Vec<Problem> {
    let mut problems = Vec::new();
    if config.host.trim().is_empty() {
        problems.push(Problem::EmptyHost);
    }
    if config.port == 0 {
        problems.push(Problem::PortZero);
    }
    if config.workers == 0 {
        problems.push(Problem::NoWorkers);
    }
    if !(config.timeout_secs > 0.0) {
        problems.push(Problem::TimeoutNotPositive);
    }
    problems
}
