/// How chatty the application is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
}

impl LogLevel {
    pub fn from_name(name: &str) -> Option<LogLevel> {
        match name.to_ascii_lowercase().as_str() {
            "error" => Some(LogLevel::Error),
            "warn" | "warning" => Some(LogLevel::Warn),
            "info" => Some(LogLevel::Info),
            "debug" => Some(LogLevel::Debug),
            _ => None,
        }
    }
}

/// The application's settings. `Config::default()` is what runs when nothing is configured.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub host: String,
    pub port: u16,
    pub workers: usize,
    pub log_level: LogLevel,
    pub timeout_secs: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: "127.0.0.1".to_string(),
            port: 8080,
            workers: 4,
            log_level: LogLevel::Info,
            timeout_secs: 30.0,
        }
    }
}

impl Config {
    /// `host:port`, the address to listen on.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}
