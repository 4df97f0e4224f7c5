//! Models split over several files by `llama-gguf-split`: `name-00001-of-00003.gguf` and so on, each a
//! complete GGUF file holding some of the tensors, with the keys `split.no` (0-based),
//! `split.count` and `split.tensors.count` (the total over all parts).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::GgufError;
use crate::{GgufFile, TensorInfo};

/// Metadata key: 0-based index of this part.
pub const KEY_SPLIT_NO: &str = "split.no";
/// Metadata key: number of parts.
pub const KEY_SPLIT_COUNT: &str = "split.count";
/// Metadata key: number of tensors in all parts together.
pub const KEY_SPLIT_TENSORS_COUNT: &str = "split.tensors.count";

/// A parsed split file name, `<prefix>-<NNNNN>-of-<MMMMM>.gguf` (numbers 1-based, 5 digits).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitName {
    /// Everything before `-NNNNN-of-MMMMM.gguf`, directory included.
    pub prefix: PathBuf,
    /// 1-based number of this part.
    pub number: u32,
    /// Number of parts.
    pub count: u32,
}

impl SplitName {
    /// Parses `path` as a split file name; `None` when it is not one.
    pub fn parse(path: &Path) -> Option<SplitName> {
        let file_name = path.file_name()?.to_str()?;
        let stem = file_name.strip_suffix(".gguf")?;
        let (rest, count) = stem.rsplit_once("-of-")?;
        let (prefix, number) = rest.rsplit_once('-')?;
        let digits = |s: &str| s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(count) || !digits(number) || prefix.is_empty() {
            return None;
        }
        let (number, count) = (number.parse().ok()?, count.parse().ok()?);
        if number == 0 || count == 0 || number > count {
            return None;
        }
        Some(SplitName {
            prefix: path.with_file_name(prefix),
            number,
            count,
        })
    }

    /// The path of part `number` (1-based), as llama.cpp's `llama_split_path` names it.
    pub fn path(&self, number: u32) -> PathBuf {
        let mut name = self
            .prefix
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_default();
        name.push(format!("-{number:05}-of-{:05}.gguf", self.count));
        self.prefix.with_file_name(name)
    }

    /// The paths of all parts, in order.
    pub fn paths(&self) -> Vec<PathBuf> {
        (1..=self.count).map(|n| self.path(n)).collect()
    }
}

/// The paths of all parts of the split model that `path` belongs to, or just `path` when its name is
/// not a split name.
pub fn split_paths(path: &Path) -> Vec<PathBuf> {
    match SplitName::parse(path) {
        Some(name) => name.paths(),
        None => vec![path.to_path_buf()],
    }
}

/// Finds a tensor in the parts of a split model, with the part that holds it.
pub fn find_tensor<'a>(
    parts: &'a [GgufFile],
    name: &str,
) -> Option<(&'a GgufFile, &'a TensorInfo)> {
    parts.iter().find_map(|f| f.tensor(name).map(|t| (f, t)))
}

impl GgufFile {
    /// Opens a model that may be split over several files: given any part (usually the first,
    /// `name-00001-of-00003.gguf`), opens every part and checks that they belong together
    /// (`split.no`, `split.count`, `split.tensors.count`, no tensor in two parts). A file whose
    /// name is not a split name is opened alone (and must not declare `split.count` > 1).
    pub fn open_split(path: impl AsRef<Path>) -> Result<Vec<GgufFile>, GgufError> {
        let path = path.as_ref();
        let paths = split_paths(path);
        let count = paths.len();
        let mut parts = Vec::with_capacity(count);
        for p in &paths {
            parts.push(GgufFile::open(p)?);
        }
        let split_err = |p: &Path, message: String| GgufError::Split {
            message: format!("{}: {message}", p.display()),
        };
        let mut first_part: HashMap<&str, &Path> = HashMap::new();
        let mut total_tensors = 0usize;
        for (i, (part, p)) in parts.iter().zip(&paths).enumerate() {
            let declared_count = part.get_u64(KEY_SPLIT_COUNT)?;
            let declared_no = part.get_u64(KEY_SPLIT_NO)?;
            if count == 1 {
                if declared_count.is_some_and(|c| c > 1) {
                    return Err(split_err(
                        p,
                        format!(
                            "the file is part of a model split into {} files (`{KEY_SPLIT_COUNT}`), but its name \
                             is not of the form NAME-00001-of-{:05}.gguf; rename the parts as llama-gguf-split \
                             named them",
                            declared_count.unwrap_or(0),
                            declared_count.unwrap_or(0)
                        ),
                    ));
                }
            } else {
                if declared_count != Some(count as u64) {
                    return Err(split_err(
                        p,
                        format!(
                            "`{KEY_SPLIT_COUNT}` is {declared_count:?}, but the file name says {count} parts"
                        ),
                    ));
                }
                if declared_no != Some(i as u64) {
                    return Err(split_err(
                        p,
                        format!(
                            "`{KEY_SPLIT_NO}` is {declared_no:?}, but the file name says part {} (0-based {i})",
                            i + 1
                        ),
                    ));
                }
            }
            for t in part.tensors() {
                if let Some(other) = first_part.insert(&t.name, p) {
                    return Err(split_err(
                        p,
                        format!("tensor `{}` is also in {}", t.name, other.display()),
                    ));
                }
            }
            total_tensors += part.tensors().len();
        }
        if let (Some(first), Some(first_path)) = (parts.first(), paths.first())
            && let Some(declared) = first.get_u64(KEY_SPLIT_TENSORS_COUNT)?
            && declared != total_tensors as u64
        {
            return Err(split_err(
                first_path,
                format!(
                    "`{KEY_SPLIT_TENSORS_COUNT}` is {declared}, but the parts hold {total_tensors} tensors"
                ),
            ));
        }
        Ok(parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_names() {
        let n = SplitName::parse(Path::new("/m/qwen-7b-q4-00002-of-00003.gguf"))
            .unwrap_or_else(|| panic!("no parse"));
        assert_eq!(
            n,
            SplitName {
                prefix: PathBuf::from("/m/qwen-7b-q4"),
                number: 2,
                count: 3
            }
        );
        assert_eq!(n.path(1), Path::new("/m/qwen-7b-q4-00001-of-00003.gguf"));
        assert_eq!(n.paths().len(), 3);
        for bad in [
            "m.gguf",
            "m-1-of-3.gguf",
            "m-00004-of-00003.gguf",
            "m-00000-of-00003.gguf",
            "-00001-of-00002.gguf",
            "m-00001-of-00002.bin",
        ] {
            assert_eq!(SplitName::parse(Path::new(bad)), None, "{bad}");
        }
        assert_eq!(
            split_paths(Path::new("a.gguf")),
            vec![PathBuf::from("a.gguf")]
        );
    }
}
