//! The error type of this crate.

use std::path::{Path, PathBuf};

use crate::types::GgmlType;

/// Everything that can go wrong reading (or writing) a GGUF file.
///
/// Parse errors name the field at fault and its absolute byte offset in the file. Errors of a file
/// opened from a path are wrapped in [`GgufError::InFile`], whose message starts with the path;
/// [`GgufError::inner`] gives the error without that wrapper.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GgufError {
    /// The file could not be opened, inspected or memory-mapped.
    #[error("cannot read GGUF file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// An error in the file at `path`.
    #[error("{}: {error}", path.display())]
    InFile {
        path: PathBuf,
        error: Box<GgufError>,
    },

    #[error(
        "not a GGUF file: the magic at byte offset 0 is {} ({found:02x?}), expected \"GGUF\"; \
         check that the file is a GGUF model and that the download completed",
        String::from_utf8_lossy(found).escape_debug()
    )]
    BadMagic { found: [u8; 4] },

    #[error("unsupported GGUF version {version} (field `version` at byte offset 4); {}", version_hint(*version))]
    UnsupportedVersion { version: u32 },

    #[error(
        "file is truncated: {field} at byte offset {offset} needs {needed} bytes, but the file ends at byte \
         {file_size}; the download is probably incomplete"
    )]
    Truncated {
        field: String,
        offset: u64,
        needed: u64,
        file_size: u64,
    },

    #[error(
        "{field} at byte offset {offset} is {count}, but the {remaining} bytes left in the file can hold at \
         most {} (each takes at least {min_size} bytes); the file is corrupt",
        remaining / min_size.max(&1)
    )]
    CountTooLarge {
        field: String,
        offset: u64,
        count: u64,
        remaining: u64,
        min_size: u64,
    },

    #[error(
        "{field} at byte offset {offset} is {length} bytes, but only {remaining} bytes are left in the file; \
         the file is corrupt or truncated"
    )]
    LengthTooLarge {
        field: String,
        offset: u64,
        length: u64,
        remaining: u64,
    },

    #[error("{field} at byte offset {offset} is {length} bytes, more than the limit of {max}")]
    TooLong {
        field: String,
        offset: u64,
        length: u64,
        max: u64,
    },

    #[error("{field} at byte offset {offset} is empty")]
    EmptyKey { field: String, offset: u64 },

    #[error(
        "duplicate metadata key `{key}` at byte offset {offset} (first defined at byte offset {first_offset})"
    )]
    DuplicateKey {
        key: String,
        offset: u64,
        first_offset: u64,
    },

    #[error(
        "duplicate tensor name `{name}` at byte offset {offset} (first defined at byte offset {first_offset})"
    )]
    DuplicateTensor {
        name: String,
        offset: u64,
        first_offset: u64,
    },

    #[error(
        "{field} at byte offset {offset} is not valid UTF-8 (bad byte {valid_up_to} bytes into the string)"
    )]
    InvalidUtf8 {
        field: String,
        offset: u64,
        valid_up_to: u64,
    },

    #[error(
        "{field} at byte offset {offset} is {type_id}, which is not a GGUF value type (0 to 12)"
    )]
    UnknownValueType {
        field: String,
        offset: u64,
        type_id: u32,
    },

    #[error("{field} at byte offset {offset} is {value}, but a bool must be 0 or 1")]
    InvalidBool {
        field: String,
        offset: u64,
        value: u8,
    },

    #[error(
        "{field} at byte offset {offset} is an array nested {depth} deep; at most {max} levels are allowed"
    )]
    NestingTooDeep {
        field: String,
        offset: u64,
        depth: usize,
        max: usize,
    },

    #[error(
        "{field} at byte offset {offset}: the metadata arrays hold more than {max} elements in total, \
         more than any real model needs"
    )]
    TooManyArrayElements {
        field: String,
        offset: u64,
        max: u64,
    },

    #[error(
        "{field} at byte offset {offset} is {type_id}, which is not a ggml type this reader knows; \
         the model may need a newer version of vibrant"
    )]
    UnknownTensorType {
        field: String,
        offset: u64,
        type_id: u32,
    },

    #[error(
        "{field} at byte offset {offset} is {n_dims}; ggml tensors have at most {max} dimensions"
    )]
    TooManyDims {
        field: String,
        offset: u64,
        n_dims: u32,
        max: u32,
    },

    #[error("{field} at byte offset {offset} is {value}: {reason}")]
    InvalidDimension {
        field: String,
        offset: u64,
        value: u64,
        reason: &'static str,
    },

    #[error(
        "tensor `{tensor}` (dimensions at byte offset {offset}): {dims:?} elements of type {ggml_type} \
         overflow a 64-bit size"
    )]
    TensorTooLarge {
        tensor: String,
        offset: u64,
        dims: Vec<u64>,
        ggml_type: GgmlType,
    },

    #[error(
        "tensor `{tensor}` (dimension 0 at byte offset {offset}): the row length {row} is not a multiple of \
         the {ggml_type} block size {block_size}"
    )]
    RowNotBlockMultiple {
        tensor: String,
        offset: u64,
        row: u64,
        ggml_type: GgmlType,
        block_size: u64,
    },

    #[error("metadata key `general.alignment` at byte offset {offset} is {value}: {reason}")]
    InvalidAlignment {
        offset: u64,
        value: String,
        reason: &'static str,
    },

    #[error(
        "tensor `{tensor}`: its data offset {data_offset} (field at byte offset {offset}) is not a multiple \
         of the alignment {alignment}"
    )]
    MisalignedTensor {
        tensor: String,
        offset: u64,
        data_offset: u64,
        alignment: u64,
    },

    #[error(
        "tensor `{tensor}`: its {n_bytes} bytes of data at relative offset {data_offset} (field at byte \
         offset {offset}) end past the end of the file ({file_size} bytes, data section from byte \
         {data_start}); the file is truncated or corrupt"
    )]
    TensorOutOfBounds {
        tensor: String,
        offset: u64,
        data_offset: u64,
        n_bytes: u64,
        data_start: u64,
        file_size: u64,
    },

    #[error(
        "tensor `{tensor}`: its data at bytes {start}..{end} (offset field at byte offset {offset}) overlaps \
         the data of tensor `{other}` at bytes {other_start}..{other_end}"
    )]
    OverlappingTensors {
        tensor: String,
        offset: u64,
        start: u64,
        end: u64,
        other: String,
        other_start: u64,
        other_end: u64,
    },

    #[error("metadata key `{key}` has type {actual}, expected {expected}")]
    WrongType {
        key: String,
        expected: &'static str,
        actual: String,
    },

    #[error("metadata key `{key}` is {value}, which does not fit in {expected}")]
    OutOfRange {
        key: String,
        expected: &'static str,
        value: String,
    },

    #[error("required metadata key `{key}` is missing")]
    MissingKey { key: String },

    #[error("invalid split GGUF set: {message}")]
    Split { message: String },

    #[error("cannot write GGUF: {message}")]
    Write { message: String },
}

fn version_hint(version: u32) -> &'static str {
    if version == 1 {
        "version 1 files are obsolete: re-convert the model with a current llama.cpp"
    } else if version.swap_bytes() == 2 || version.swap_bytes() == 3 {
        "the file looks big-endian, which is not supported: use a little-endian GGUF"
    } else {
        "this reader supports versions 2 and 3"
    }
}

impl GgufError {
    /// The error without the [`GgufError::InFile`] wrapper.
    pub fn inner(&self) -> &GgufError {
        match self {
            GgufError::InFile { error, .. } => error.inner(),
            other => other,
        }
    }

    /// The file the error is about, when known.
    pub fn path(&self) -> Option<&Path> {
        match self {
            GgufError::InFile { path, .. } | GgufError::Io { path, .. } => Some(path),
            _ => None,
        }
    }

    /// The byte offset in the file at fault, for parse errors.
    pub fn offset(&self) -> Option<u64> {
        use GgufError as E;
        match self.inner() {
            E::BadMagic { .. } => Some(0),
            E::UnsupportedVersion { .. } => Some(4),
            E::Truncated { offset, .. }
            | E::CountTooLarge { offset, .. }
            | E::LengthTooLarge { offset, .. }
            | E::TooLong { offset, .. }
            | E::EmptyKey { offset, .. }
            | E::DuplicateKey { offset, .. }
            | E::DuplicateTensor { offset, .. }
            | E::InvalidUtf8 { offset, .. }
            | E::UnknownValueType { offset, .. }
            | E::InvalidBool { offset, .. }
            | E::NestingTooDeep { offset, .. }
            | E::TooManyArrayElements { offset, .. }
            | E::UnknownTensorType { offset, .. }
            | E::TooManyDims { offset, .. }
            | E::InvalidDimension { offset, .. }
            | E::TensorTooLarge { offset, .. }
            | E::RowNotBlockMultiple { offset, .. }
            | E::InvalidAlignment { offset, .. }
            | E::MisalignedTensor { offset, .. }
            | E::TensorOutOfBounds { offset, .. }
            | E::OverlappingTensors { offset, .. } => Some(*offset),
            _ => None,
        }
    }

    pub(crate) fn in_file(self, path: Option<&Path>) -> GgufError {
        match path {
            Some(path) if !matches!(self, GgufError::InFile { .. } | GgufError::Io { .. }) => {
                GgufError::InFile {
                    path: path.to_path_buf(),
                    error: Box::new(self),
                }
            }
            _ => self,
        }
    }
}
