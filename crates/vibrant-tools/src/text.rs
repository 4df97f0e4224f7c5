//! Text files as the tools see them: decoded to LF-only UTF-8 without a BOM, and encoded
//! back with the file's own line endings and BOM; atomic writes that keep permissions.

use std::io::Write;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Result, ToolError};

const BOM: &str = "\u{feff}";

/// Largest file the text tools read or edit (8 MiB).
pub const MAX_TEXT_FILE: u64 = 8 << 20;

/// Reads the regular text file `rel` (resolved, `/`-separated) of the workspace at `root`, of
/// at most [`MAX_TEXT_FILE`] bytes, without following a link on the way
/// ([`crate::beneath`]).
pub fn read_text_file(root: &Path, rel: &str) -> Result<(Vec<u8>, TextFile)> {
    let bytes = crate::beneath::read_beneath(root, rel, MAX_TEXT_FILE)?.ok_or_else(|| {
        ToolError::NotFound {
            path: rel.to_owned(),
        }
    })?;
    let file = TextFile::decode(rel, &bytes)?;
    Ok((bytes, file))
}

/// A decoded text file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextFile {
    /// The content with `\r\n` turned into `\n` and any BOM removed.
    pub text: String,
    /// The file started with a UTF-8 byte-order mark.
    pub bom: bool,
    /// The file's lines end in `\r\n` (the majority style; written back everywhere).
    pub crlf: bool,
}

impl TextFile {
    /// A new file's text with LF endings and no BOM.
    pub fn new(text: String) -> Self {
        TextFile {
            text,
            bom: false,
            crlf: false,
        }
    }

    /// Decodes raw bytes; `path` is only used in the error.
    pub fn decode(path: &str, bytes: &[u8]) -> Result<Self> {
        if bytes.iter().take(8192).any(|&b| b == 0) {
            return Err(ToolError::NotText {
                path: path.to_owned(),
                why: "it contains NUL bytes".to_owned(),
            });
        }
        let s = std::str::from_utf8(bytes).map_err(|e| ToolError::NotText {
            path: path.to_owned(),
            why: format!("invalid UTF-8 at byte {}", e.valid_up_to()),
        })?;
        let (bom, s) = match s.strip_prefix(BOM) {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let crlf_count = s.matches("\r\n").count();
        let lf_count = s.matches('\n').count();
        let crlf = crlf_count > 0 && crlf_count * 2 >= lf_count;
        let text = if crlf_count > 0 {
            s.replace("\r\n", "\n")
        } else {
            s.to_owned()
        };
        Ok(TextFile { text, bom, crlf })
    }

    /// Encodes `text` with this file's BOM and line endings.
    pub fn encode(&self, text: &str) -> Vec<u8> {
        let mut out = String::with_capacity(text.len() + 16);
        if self.bom {
            out.push_str(BOM);
        }
        if self.crlf {
            out.push_str(&text.replace("\r\n", "\n").replace('\n', "\r\n"));
        } else {
            out.push_str(text);
        }
        out.into_bytes()
    }
}

/// Hex SHA-256 of some bytes (what the stale-file check and the checkpoint store compare).
pub fn hash_bytes(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, synced, then
/// renamed over the target. An existing file's permissions are kept; missing parent
/// directories are created.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let parent = path.parent().ok_or_else(|| ToolError::NotFound {
        path: path.display().to_string(),
    })?;
    std::fs::create_dir_all(parent).map_err(|e| ToolError::io(parent, e))?;
    let permissions = std::fs::metadata(path).ok().map(|m| m.permissions());
    let mut tmp = tempfile::Builder::new()
        .prefix(".vibrant-write-")
        .tempfile_in(parent)
        .map_err(|e| ToolError::io(parent, e))?;
    tmp.write_all(bytes)
        .map_err(|e| ToolError::io(tmp.path(), e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| ToolError::io(tmp.path(), e))?;
    #[cfg(unix)]
    let permissions = permissions.or_else(|| {
        use std::os::unix::fs::PermissionsExt;
        Some(std::fs::Permissions::from_mode(0o644))
    });
    if let Some(p) = permissions {
        std::fs::set_permissions(tmp.path(), p).map_err(|e| ToolError::io(tmp.path(), e))?;
    }
    tmp.persist(path)
        .map_err(|e| ToolError::io(path, e.error))?;
    Ok(())
}
