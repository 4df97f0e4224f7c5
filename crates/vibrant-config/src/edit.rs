//! Changing one key in a config file (`vibrant config set/unset`): the value is checked against the
//! key's type, the user's comments and layout are kept (toml_edit), and the file is replaced
//! atomically (a temporary file in the same directory, then a rename), keeping its permissions.
//! A file that is unreadable or malformed is reported and left untouched.

use std::io::Write;
use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Value};

use crate::error::{ConfigError, Location};
use crate::load::{LoadedConfig, Scope, apply_file, read_optional};
use crate::schema::lookup;

/// Sets `key` to `text` (parsed as the key's type) in the file at `path`, creating the file and
/// its directory if needed. Returns the value as written.
pub fn set(path: &Path, scope: Scope, key: &str, text: &str) -> Result<Value, ConfigError> {
    let spec = lookup(key, None)?;
    if scope == Scope::Project && spec.user_only {
        return Err(ConfigError::UserOnly {
            location: Location::File {
                path: path.to_path_buf(),
                line: None,
            },
            key: key.to_owned(),
            env: spec.preferred_env_var(),
        });
    }
    let value = spec.parse_text(text, Location::Argument)?;
    let mut doc = read_document(path)?;
    let section = doc
        .entry(spec.section)
        .or_insert_with(toml_edit::table)
        .as_table_like_mut()
        .ok_or_else(|| ConfigError::WrongType {
            location: Location::File {
                path: path.to_path_buf(),
                line: None,
            },
            key: spec.section.to_owned(),
            expected: format!("a table ([{}])", spec.section),
            found: "a value".to_owned(),
        })?;
    let mut new = value.clone();
    match section.get_mut(spec.key) {
        Some(Item::Value(old)) => {
            // Keep the comment after the old value and the spacing around it.
            *new.decor_mut() = old.decor().clone();
            *old = new;
        }
        _ => {
            section.insert(spec.key, Item::Value(new));
        }
    }
    let text = doc.to_string();
    // The edited file must load: this catches problems elsewhere in it before anything is written.
    validate(path, scope, &text)?;
    write_atomic(path, &text)?;
    Ok(value)
}

/// Removes `key` from the file at `path`. Returns whether it was there. A key the schema does not
/// know can be removed too, so a mistyped key can be cleaned up with the CLI.
pub fn unset(path: &Path, key: &str) -> Result<bool, ConfigError> {
    let (section, name) = key.split_once('.').unwrap_or((key, ""));
    let Some(_) = read_optional(path)? else {
        return known_or_error(key).map(|()| false);
    };
    let mut doc = read_document(path)?;
    let removed = match doc.get_mut(section).and_then(Item::as_table_like_mut) {
        Some(table) if !name.is_empty() => table.remove(name).is_some(),
        _ if name.is_empty() => doc.remove(section).is_some(),
        _ => false,
    };
    if !removed {
        return known_or_error(key).map(|()| false);
    }
    write_atomic(path, &doc.to_string())?;
    Ok(true)
}

fn known_or_error(key: &str) -> Result<(), ConfigError> {
    lookup(key, None).map(|_| ())
}

fn read_document(path: &Path) -> Result<DocumentMut, ConfigError> {
    let text = read_optional(path)?.unwrap_or_default();
    text.parse::<DocumentMut>().map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string().trim_end().to_owned(),
    })
}

fn validate(path: &Path, scope: Scope, text: &str) -> Result<(), ConfigError> {
    let mut scratch = LoadedConfig::empty();
    apply_file(&mut scratch, path, scope, text)
}

/// Writes `contents` to `path` atomically: a temporary file in the same directory is written,
/// flushed to disk and renamed over the target. A symlinked config file is followed, so the
/// link stays a link. The old file's permissions are kept.
pub fn write_atomic(path: &Path, contents: &str) -> Result<(), ConfigError> {
    let write_err = |source| ConfigError::Write {
        path: path.to_path_buf(),
        source,
    };
    let target: PathBuf = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path).map_err(write_err)?,
        _ => path.to_path_buf(),
    };
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(write_err)?;
    let permissions = std::fs::metadata(&target).ok().map(|m| m.permissions());
    let mut tmp = tempfile::Builder::new()
        .prefix(".config.toml.")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(write_err)?;
    tmp.write_all(contents.as_bytes()).map_err(write_err)?;
    tmp.as_file().sync_all().map_err(write_err)?;
    if let Some(permissions) = permissions.or_else(default_permissions) {
        std::fs::set_permissions(tmp.path(), permissions).map_err(write_err)?;
    }
    tmp.persist(&target).map_err(|e| write_err(e.error))?;
    Ok(())
}

/// A new config file is readable by others, like any file created with the usual umask (the
/// temporary file starts out owner-only).
#[cfg(unix)]
fn default_permissions() -> Option<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Some(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn default_permissions() -> Option<std::fs::Permissions> {
    None
}
