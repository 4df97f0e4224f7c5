//! A small GGUF writer that builds valid files in memory, for tests and synthetic models.
//!
//! ```
//! use vibrant_gguf::{GgmlType, GgufFile, writer::GgufWriter};
//!
//! let mut w = GgufWriter::new();
//! w.metadata("general.architecture", "llama");
//! w.metadata("tokenizer.ggml.tokens", vec!["<s>", "</s>", "a"]);
//! w.tensor_f32("token_embd.weight", &[2, 3], &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
//! let file = GgufFile::from_bytes(w.to_bytes()?)?;
//! assert_eq!(file.get_str_array("tokenizer.ggml.tokens")?.unwrap().len(), 3);
//! # Ok::<(), vibrant_gguf::GgufError>(())
//! ```

use std::collections::HashSet;
use std::path::Path;

use crate::error::GgufError;
use crate::limits;
use crate::parse::{DEFAULT_ALIGNMENT, MAGIC};
use crate::types::GgmlType;
use crate::value::{Value, ValueType};

struct PendingTensor {
    name: String,
    ggml_type: GgmlType,
    dims: Vec<u64>,
    data: Vec<u8>,
}

/// Builds a GGUF file (version 3 unless set otherwise) from metadata and tensors.
///
/// Tensors are written in the order added, each padded to the alignment. An alignment other
/// than 32 is recorded as `general.alignment` (u32) unless the metadata already holds that key.
pub struct GgufWriter {
    version: u32,
    alignment: u64,
    metadata: Vec<(String, Value)>,
    tensors: Vec<PendingTensor>,
}

impl Default for GgufWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for GgufWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GgufWriter")
            .field("version", &self.version)
            .field("alignment", &self.alignment)
            .field("metadata", &self.metadata.len())
            .field("tensors", &self.tensors.len())
            .finish()
    }
}

impl GgufWriter {
    /// An empty version-3 file with the default alignment (32).
    pub fn new() -> Self {
        GgufWriter {
            version: 3,
            alignment: DEFAULT_ALIGNMENT,
            metadata: Vec::new(),
            tensors: Vec::new(),
        }
    }

    /// Sets the GGUF version to write (2 or 3; both have the same layout).
    pub fn version(&mut self, version: u32) -> &mut Self {
        self.version = version;
        self
    }

    /// Sets the tensor data alignment (a power of two).
    pub fn alignment(&mut self, alignment: u64) -> &mut Self {
        self.alignment = alignment;
        self
    }

    /// Adds a metadata entry (written in the order added).
    pub fn metadata(&mut self, key: impl Into<String>, value: impl Into<Value>) -> &mut Self {
        self.metadata.push((key.into(), value.into()));
        self
    }

    /// Adds a tensor with raw data, which must be exactly the size its type and dims call for.
    pub fn tensor(
        &mut self,
        name: impl Into<String>,
        ggml_type: GgmlType,
        dims: &[u64],
        data: impl Into<Vec<u8>>,
    ) -> &mut Self {
        self.tensors.push(PendingTensor {
            name: name.into(),
            ggml_type,
            dims: dims.to_vec(),
            data: data.into(),
        });
        self
    }

    /// Adds an F32 tensor from values.
    pub fn tensor_f32(
        &mut self,
        name: impl Into<String>,
        dims: &[u64],
        values: &[f32],
    ) -> &mut Self {
        let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.tensor(name, GgmlType::F32, dims, data)
    }

    /// Serialises the file, checking that it will be valid.
    pub fn to_bytes(&self) -> Result<Vec<u8>, GgufError> {
        let fail = |message: String| Err(GgufError::Write { message });
        if self.version != 2 && self.version != 3 {
            return fail(format!("version {} is not 2 or 3", self.version));
        }
        if !self.alignment.is_power_of_two() || self.alignment > limits::MAX_ALIGNMENT {
            return fail(format!(
                "alignment {} is not a power of two up to 1 GiB",
                self.alignment
            ));
        }
        let mut metadata: Vec<(&str, &Value)> = Vec::with_capacity(self.metadata.len() + 1);
        let alignment_value = Value::U32(u32::try_from(self.alignment).unwrap_or(u32::MAX));
        let has_alignment = self.metadata.iter().any(|(k, _)| k == "general.alignment");
        if self.alignment != DEFAULT_ALIGNMENT && !has_alignment {
            metadata.push(("general.alignment", &alignment_value));
        }
        let mut keys = HashSet::new();
        for (key, value) in &self.metadata {
            if key.is_empty() || key.len() as u64 > limits::MAX_KEY_LEN {
                return fail(format!(
                    "metadata key `{key}` is empty or longer than {} bytes",
                    limits::MAX_KEY_LEN
                ));
            }
            if !keys.insert(key.as_str()) {
                return fail(format!("duplicate metadata key `{key}`"));
            }
            if key == "general.alignment" && value.as_u64() != Some(self.alignment) {
                return fail(format!(
                    "general.alignment is {value} but the writer's alignment is {}",
                    self.alignment
                ));
            }
            check_value(key, value, 0)?;
            metadata.push((key, value));
        }
        let mut names = HashSet::new();
        let mut sizes = Vec::with_capacity(self.tensors.len());
        for t in &self.tensors {
            if t.name.is_empty() || t.name.len() as u64 > limits::MAX_TENSOR_NAME_LEN {
                return fail(format!(
                    "tensor name `{}` is empty or longer than {} bytes",
                    t.name,
                    limits::MAX_TENSOR_NAME_LEN
                ));
            }
            if !names.insert(t.name.as_str()) {
                return fail(format!("duplicate tensor name `{}`", t.name));
            }
            if t.dims.len() > limits::MAX_DIMS as usize
                || t.dims.iter().any(|&d| d == 0 || d > i64::MAX as u64)
            {
                return fail(format!("tensor `{}` has invalid dims {:?}", t.name, t.dims));
            }
            let row = t.dims.first().copied().unwrap_or(1);
            let n_bytes = t.ggml_type.row_bytes(row).and_then(|rb| {
                t.dims
                    .iter()
                    .skip(1)
                    .try_fold(rb, |acc, &d| acc.checked_mul(d))
            });
            if n_bytes != Some(t.data.len() as u64) {
                return fail(format!(
                    "tensor `{}` of type {} and dims {:?} needs {} bytes, got {}",
                    t.name,
                    t.ggml_type,
                    t.dims,
                    n_bytes.map_or_else(|| "an invalid number of".to_string(), |n| n.to_string()),
                    t.data.len()
                ));
            }
            sizes.push(t.data.len() as u64);
        }

        let mut out = Vec::new();
        out.extend_from_slice(&MAGIC);
        put_u32(&mut out, self.version);
        put_u64(&mut out, self.tensors.len() as u64);
        put_u64(&mut out, metadata.len() as u64);
        for (key, value) in &metadata {
            put_str(&mut out, key);
            put_u32(&mut out, value.value_type().id());
            put_value(&mut out, value);
        }
        let mut offset = 0u64;
        for t in &self.tensors {
            put_str(&mut out, &t.name);
            put_u32(&mut out, t.dims.len() as u32);
            for &d in &t.dims {
                put_u64(&mut out, d);
            }
            put_u32(&mut out, t.ggml_type.id());
            put_u64(&mut out, offset);
            offset = (offset + t.data.len() as u64).next_multiple_of(self.alignment);
        }
        pad(&mut out, self.alignment);
        for t in &self.tensors {
            out.extend_from_slice(&t.data);
            pad(&mut out, self.alignment);
        }
        Ok(out)
    }

    /// Serialises the file and writes it to `path`.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<(), GgufError> {
        let path = path.as_ref();
        let bytes = self.to_bytes()?;
        std::fs::write(path, bytes).map_err(|source| GgufError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// Arrays must be homogeneous (so that one element type describes them) and not too deep.
fn check_value(key: &str, value: &Value, depth: usize) -> Result<(), GgufError> {
    let Value::Array(items) = value else {
        return Ok(());
    };
    if depth + 1 > limits::MAX_ARRAY_DEPTH {
        return Err(GgufError::Write {
            message: format!("metadata key `{key}`: arrays nested too deep"),
        });
    }
    if let Some(first) = items.first() {
        let ty = first.value_type();
        if let Some(other) = items.iter().find(|v| v.value_type() != ty) {
            return Err(GgufError::Write {
                message: format!(
                    "metadata key `{key}`: array mixes {} and {} elements; GGUF arrays hold one type",
                    ty,
                    other.type_name()
                ),
            });
        }
        for item in items {
            check_value(key, item, depth + 1)?;
        }
    }
    Ok(())
}

fn pad(out: &mut Vec<u8>, alignment: u64) {
    let len = (out.len() as u64).next_multiple_of(alignment);
    out.resize(usize::try_from(len).unwrap_or(out.len()), 0);
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u64(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn put_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::U8(v) => out.push(*v),
        Value::I8(v) => out.extend_from_slice(&v.to_le_bytes()),
        Value::U16(v) => out.extend_from_slice(&v.to_le_bytes()),
        Value::I16(v) => out.extend_from_slice(&v.to_le_bytes()),
        Value::U32(v) => out.extend_from_slice(&v.to_le_bytes()),
        Value::I32(v) => out.extend_from_slice(&v.to_le_bytes()),
        Value::F32(v) => out.extend_from_slice(&v.to_le_bytes()),
        Value::Bool(v) => out.push(u8::from(*v)),
        Value::String(s) => put_str(out, s),
        Value::U64(v) => out.extend_from_slice(&v.to_le_bytes()),
        Value::I64(v) => out.extend_from_slice(&v.to_le_bytes()),
        Value::F64(v) => out.extend_from_slice(&v.to_le_bytes()),
        Value::Array(items) => {
            // An empty array's element type is not recorded in `Value`; u8 is as good as any.
            let ty = items.first().map_or(ValueType::U8, Value::value_type);
            put_u32(out, ty.id());
            put_u64(out, items.len() as u64);
            for item in items {
                put_value(out, item);
            }
        }
    }
}
