//! Platform directories (XDG on Linux, `~/Library` on macOS, `%APPDATA%` on Windows).

use std::path::{Path, PathBuf};

/// Where Vibrant's files go by default on this platform.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlatformDirs {
    /// The user's home directory, for expanding `~` in configured paths.
    pub home: Option<PathBuf>,
    /// Holds `config.toml` (`~/.config/vibrant` on Linux).
    pub config_dir: Option<PathBuf>,
    /// `~/.local/share/vibrant` on Linux.
    pub data_dir: Option<PathBuf>,
    /// `~/.cache/vibrant` on Linux.
    pub cache_dir: Option<PathBuf>,
    /// `~/.local/state/vibrant` on Linux; the data directory where the platform has no state dir.
    pub state_dir: Option<PathBuf>,
}

impl PlatformDirs {
    /// The directories of the current user (honouring `XDG_*_HOME` on Linux). All `None` when
    /// no home directory can be found.
    pub fn detect() -> Self {
        let Some(dirs) = directories::ProjectDirs::from("", "", "vibrant") else {
            return Self::default();
        };
        Self {
            home: directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf()),
            config_dir: Some(dirs.config_dir().to_path_buf()),
            data_dir: Some(dirs.data_dir().to_path_buf()),
            cache_dir: Some(dirs.cache_dir().to_path_buf()),
            state_dir: Some(dirs.state_dir().unwrap_or(dirs.data_dir()).to_path_buf()),
        }
    }

    /// The Linux (XDG default) layout under `home`, for tests and sandboxes.
    pub fn under_home(home: &Path) -> Self {
        Self {
            home: Some(home.to_path_buf()),
            config_dir: Some(home.join(".config/vibrant")),
            data_dir: Some(home.join(".local/share/vibrant")),
            cache_dir: Some(home.join(".cache/vibrant")),
            state_dir: Some(home.join(".local/state/vibrant")),
        }
    }
}
