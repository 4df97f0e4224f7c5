//! Reads GGUF model files — the format of llama.cpp — safely, from untrusted sources.
//!
//! [`GgufFile::open`] memory-maps a file, parses its header (metadata and tensor infos) and validates
//! it completely before returning: versions 2 and 3, every metadata value type including nested
//! arrays, `general.alignment`, and tensor infos whose data must lie aligned, inside the file and
//! without overlapping. Tensor data is never copied: [`GgufFile::tensor_data`] is a slice of the map.
//! Parsing never panics and never allocates more than the bytes in the file can justify; every error
//! names the field and the byte offset at fault (see [`GgufError`]). The format and the rules are
//! described in `specs/gguf.md`.
//!
//! [`GgufFile::quantization`] names a model's quantization (`Q4_K_M`) from `general.file_type` or
//! its tensors. [`writer::GgufWriter`] builds small valid files in memory, for tests.
//!
//! ```
//! use vibrant_gguf::{GgmlType, GgufFile, writer::GgufWriter};
//!
//! let bytes = GgufWriter::new()
//!     .metadata("general.architecture", "llama")
//!     .metadata("llama.block_count", 2u32)
//!     .tensor("output_norm.weight", GgmlType::F32, &[4], vec![0u8; 16])
//!     .to_bytes()?;
//! let file = GgufFile::from_bytes(bytes)?;
//! assert_eq!(file.architecture()?, "llama");
//! assert_eq!(file.get_u32("llama.block_count")?, Some(2));
//! let t = file.tensor("output_norm.weight").unwrap();
//! assert_eq!(file.tensor_data(t).len(), 16);
//! # Ok::<(), vibrant_gguf::GgufError>(())
//! ```

mod error;
mod mmap;
mod parse;
mod quant;
mod split;
mod types;
mod value;
pub mod writer;

use std::fmt;
use std::path::{Path, PathBuf};

pub use error::GgufError;
pub use parse::{DEFAULT_ALIGNMENT, MAGIC};
pub use quant::file_type_name;
pub use split::{
    KEY_SPLIT_COUNT, KEY_SPLIT_NO, KEY_SPLIT_TENSORS_COUNT, SplitName, find_tensor, split_paths,
};
pub use types::GgmlType;
pub use value::{Value, ValueType};

/// Limits beyond which a file is rejected as corrupt or hostile.
pub mod limits {
    /// Deepest nesting of arrays in metadata (an array of arrays is depth 2).
    pub const MAX_ARRAY_DEPTH: usize = 8;
    /// Most array elements in all metadata arrays together (real vocabularies hold well under a million).
    pub const MAX_ARRAY_ELEMENTS: u64 = 1 << 24;
    /// Longest metadata key in bytes (the GGUF specification's limit).
    pub const MAX_KEY_LEN: u64 = 65_535;
    /// Longest tensor name in bytes (ggml's `GGML_MAX_NAME` is 64 including the terminating NUL).
    pub const MAX_TENSOR_NAME_LEN: u64 = 63;
    /// Most tensor dimensions (`GGML_MAX_DIMS`).
    pub const MAX_DIMS: u32 = 4;
    /// Largest accepted `general.alignment` (1 GiB).
    pub const MAX_ALIGNMENT: u64 = 1 << 30;
}

/// Where the tensor data lives: a read-only memory map or, for [`GgufFile::from_bytes`], owned bytes.
enum Storage {
    Mmap(mmap::Map),
    Owned(Vec<u8>),
}

impl Storage {
    fn bytes(&self) -> &[u8] {
        match self {
            Storage::Mmap(m) => m.bytes(),
            Storage::Owned(v) => v,
        }
    }
}

/// One tensor of a GGUF file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TensorInfo {
    pub name: String,
    /// Dimensions in ggml order: `dims[0]` is the length of a contiguous row. At most 4, each ≥ 1;
    /// empty for a scalar.
    pub dims: Vec<u64>,
    pub ggml_type: GgmlType,
    /// Absolute file offset of the tensor's data (the file stores it relative to the data section).
    pub offset: u64,
    /// Size of the tensor's data in bytes.
    pub n_bytes: u64,
}

impl TensorInfo {
    /// Number of elements (product of the dimensions).
    pub fn n_elements(&self) -> u64 {
        self.dims.iter().product()
    }

    /// Number of rows (product of `dims[1..]`; 1 for vectors and scalars).
    pub fn n_rows(&self) -> u64 {
        self.dims.iter().skip(1).product()
    }

    /// Length of a row in elements (`dims[0]`, 1 for a scalar).
    pub fn row_len(&self) -> u64 {
        self.dims.first().copied().unwrap_or(1)
    }

    /// Bytes per row.
    pub fn row_bytes(&self) -> u64 {
        // Validated at parse time; 0 only for a hand-built, invalid `TensorInfo`.
        self.ggml_type.row_bytes(self.row_len()).unwrap_or(0)
    }
}

/// A parsed and validated GGUF file.
pub struct GgufFile {
    storage: Storage,
    path: Option<PathBuf>,
    header: parse::Header,
}

impl fmt::Debug for GgufFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GgufFile")
            .field("path", &self.path)
            .field("version", &self.header.version)
            .field("file_size", &self.file_size())
            .field("metadata", &self.header.metadata.len())
            .field("tensors", &self.header.tensors.len())
            .finish_non_exhaustive()
    }
}

impl GgufFile {
    /// Memory-maps the file at `path`, then parses and validates it.
    ///
    /// The file must not be modified while the returned value is alive (see `specs/gguf.md`).
    pub fn open(path: impl AsRef<Path>) -> Result<GgufFile, GgufError> {
        let path = path.as_ref();
        let io = |source| GgufError::Io {
            path: path.to_path_buf(),
            source,
        };
        // Checked before opening: opening a FIFO would block, and a directory cannot be mapped.
        if !std::fs::metadata(path).map_err(io)?.is_file() {
            return Err(io(std::io::Error::other("not a regular file")));
        }
        let file = std::fs::File::open(path).map_err(io)?;
        let storage = mmap::Map::new(&file)
            .map_err(io)?
            .map_or(Storage::Owned(Vec::new()), Storage::Mmap);
        let started = std::time::Instant::now();
        let header = parse::parse(storage.bytes()).map_err(|e| e.in_file(Some(path)))?;
        tracing::debug!(
            path = %path.display(),
            version = header.version,
            metadata = header.metadata.len(),
            tensors = header.tensors.len(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1e3,
            "parsed GGUF header"
        );
        Ok(GgufFile {
            storage,
            path: Some(path.to_path_buf()),
            header,
        })
    }

    /// Parses and validates a file held in memory (same checks as [`GgufFile::open`]).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<GgufFile, GgufError> {
        let header = parse::parse(&bytes)?;
        Ok(GgufFile {
            storage: Storage::Owned(bytes),
            path: None,
            header,
        })
    }

    /// The path the file was opened from (`None` for [`GgufFile::from_bytes`]).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// GGUF version (2 or 3).
    pub fn version(&self) -> u32 {
        self.header.version
    }

    /// Alignment of tensor data (`general.alignment`, default 32).
    pub fn alignment(&self) -> u64 {
        self.header.alignment
    }

    /// Absolute offset of the tensor data section.
    pub fn data_offset(&self) -> u64 {
        self.header.data_offset
    }

    /// Size of the whole file in bytes.
    pub fn file_size(&self) -> u64 {
        self.storage.bytes().len() as u64
    }

    /// The whole file.
    pub fn bytes(&self) -> &[u8] {
        self.storage.bytes()
    }

    /// All metadata entries, in file order.
    pub fn metadata(&self) -> &[(String, Value)] {
        &self.header.metadata
    }

    /// The value of a metadata key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        let i = *self.header.key_index.get(key)?;
        self.header.metadata.get(i).map(|(_, v)| v)
    }

    fn err(&self, e: GgufError) -> GgufError {
        e.in_file(self.path())
    }

    fn wrong_type(&self, key: &str, expected: &'static str, actual: &Value) -> GgufError {
        self.err(GgufError::WrongType {
            key: key.to_string(),
            expected,
            actual: actual.describe_type(),
        })
    }

    fn out_of_range(
        &self,
        key: &str,
        expected: &'static str,
        value: &dyn fmt::Display,
    ) -> GgufError {
        self.err(GgufError::OutOfRange {
            key: key.to_string(),
            expected,
            value: value.to_string(),
        })
    }

    /// A string value.
    pub fn get_str(&self, key: &str) -> Result<Option<&str>, GgufError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(self.wrong_type(key, "string", v)),
        }
    }

    /// An integer value of any type that fits in `u32`.
    pub fn get_u32(&self, key: &str) -> Result<Option<u32>, GgufError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) if v.is_integer() => match v.as_u64().and_then(|x| u32::try_from(x).ok()) {
                Some(x) => Ok(Some(x)),
                None => Err(self.out_of_range(key, "u32", v)),
            },
            Some(v) => Err(self.wrong_type(key, "an integer", v)),
        }
    }

    /// An integer value of any type that fits in `u64`.
    pub fn get_u64(&self, key: &str) -> Result<Option<u64>, GgufError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) if v.is_integer() => match v.as_u64() {
                Some(x) => Ok(Some(x)),
                None => Err(self.out_of_range(key, "u64", v)),
            },
            Some(v) => Err(self.wrong_type(key, "an integer", v)),
        }
    }

    /// An integer value of any type that fits in `i64`.
    pub fn get_i64(&self, key: &str) -> Result<Option<i64>, GgufError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) if v.is_integer() => match v.as_i64() {
                Some(x) => Ok(Some(x)),
                None => Err(self.out_of_range(key, "i64", v)),
            },
            Some(v) => Err(self.wrong_type(key, "an integer", v)),
        }
    }

    /// A float value (`f32` or `f64`) or an integer, as `f32`.
    #[allow(clippy::cast_possible_truncation)]
    pub fn get_f32(&self, key: &str) -> Result<Option<f32>, GgufError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::F32(x)) => Ok(Some(*x)),
            Some(v) => match v.as_f64() {
                Some(x) => Ok(Some(x as f32)),
                None => Err(self.wrong_type(key, "a number", v)),
            },
        }
    }

    /// A bool value.
    pub fn get_bool(&self, key: &str) -> Result<Option<bool>, GgufError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(self.wrong_type(key, "bool", v)),
        }
    }

    /// An array value of any element type.
    pub fn get_array(&self, key: &str) -> Result<Option<&[Value]>, GgufError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(v) => Err(self.wrong_type(key, "array", v)),
        }
    }

    /// An array of strings.
    pub fn get_str_array(&self, key: &str) -> Result<Option<Vec<&str>>, GgufError> {
        let Some(items) = self.get_array(key)? else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Value::String(s) => out.push(s.as_str()),
                _ => {
                    return Err(self.wrong_type(
                        key,
                        "array of string",
                        self.get(key).unwrap_or(item),
                    ));
                }
            }
        }
        Ok(Some(out))
    }

    /// An array of integers that each fit in `i32`.
    pub fn get_i32_array(&self, key: &str) -> Result<Option<Vec<i32>>, GgufError> {
        let Some(items) = self.get_array(key)? else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            if !item.is_integer() {
                return Err(self.wrong_type(
                    key,
                    "array of integers",
                    self.get(key).unwrap_or(item),
                ));
            }
            match item.as_i64().and_then(|x| i32::try_from(x).ok()) {
                Some(x) => out.push(x),
                None => {
                    return Err(self.out_of_range(
                        key,
                        "i32",
                        &format_args!("{item} (element {i})"),
                    ));
                }
            }
        }
        Ok(Some(out))
    }

    /// An array of numbers (floats or integers), as `f32`.
    #[allow(clippy::cast_possible_truncation)]
    pub fn get_f32_array(&self, key: &str) -> Result<Option<Vec<f32>>, GgufError> {
        let Some(items) = self.get_array(key)? else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Value::F32(x) => out.push(*x),
                other => match other.as_f64() {
                    Some(x) => out.push(x as f32),
                    None => {
                        return Err(self.wrong_type(
                            key,
                            "array of numbers",
                            self.get(key).unwrap_or(item),
                        ));
                    }
                },
            }
        }
        Ok(Some(out))
    }

    /// `general.architecture`, which every model must have.
    pub fn architecture(&self) -> Result<&str, GgufError> {
        self.get_str("general.architecture")?.ok_or_else(|| {
            self.err(GgufError::MissingKey {
                key: "general.architecture".into(),
            })
        })
    }

    /// All tensors, in file order.
    pub fn tensors(&self) -> &[TensorInfo] {
        &self.header.tensors
    }

    /// The tensor with this name.
    pub fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        let i = *self.header.tensor_index.get(name)?;
        self.header.tensors.get(i)
    }

    /// The data of a tensor of this file: a slice of the memory map, never a copy.
    ///
    /// The slice starts `alignment`-aligned relative to the start of the file; a memory map starts
    /// on a page boundary, so for files opened with [`GgufFile::open`] the slice is aligned in
    /// memory too (for [`GgufFile::from_bytes`] it is as aligned as the `Vec`'s buffer allows).
    ///
    /// Returns an empty slice for a `TensorInfo` whose range lies outside this file (one from
    /// another file, or built by hand); the tensors of this file are validated to lie inside it.
    /// Lets the pages of `t`'s data (whole pages inside it) leave resident memory, for data the
    /// caller has copied elsewhere (e.g. repacked weights). Reading the data later is still
    /// correct — it is read from the file again. A no-op for data not memory-mapped.
    pub fn release_tensor_data(&self, t: &TensorInfo) {
        if let (Storage::Mmap(map), Ok(start), Ok(len)) = (
            &self.storage,
            usize::try_from(t.offset),
            usize::try_from(t.n_bytes),
        ) && let Err(e) = map.release(start, len)
        {
            tracing::debug!(tensor = %t.name, "could not release mapped pages: {e}");
        }
    }

    pub fn tensor_data(&self, t: &TensorInfo) -> &[u8] {
        let bytes = self.storage.bytes();
        usize::try_from(t.offset)
            .ok()
            .zip(usize::try_from(t.n_bytes).ok())
            .and_then(|(start, len)| bytes.get(start..start.checked_add(len)?))
            .unwrap_or(&[])
    }
}
