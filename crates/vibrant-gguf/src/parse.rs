//! The parser: bytes in, validated header out. Never panics, and never allocates more than the
//! bytes left in the file can justify.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;

use crate::error::GgufError;
use crate::types::GgmlType;
use crate::value::{Value, ValueType};
use crate::{TensorInfo, limits};

type Result<T> = std::result::Result<T, GgufError>;

/// The magic at the start of every GGUF file.
pub const MAGIC: [u8; 4] = *b"GGUF";

/// The alignment of tensor data when `general.alignment` is absent.
pub const DEFAULT_ALIGNMENT: u64 = 32;

/// The fewest bytes one metadata entry takes: key length (8), key (≥ 1), value type (4), value (≥ 1).
const MIN_KV_SIZE: u64 = 14;
/// The fewest bytes one tensor info takes: name length (8), name (≥ 1), n_dims (4), type (4), offset (8).
const MIN_TENSOR_INFO_SIZE: u64 = 25;

/// The parsed, validated header of a GGUF file.
#[derive(Debug)]
pub(crate) struct Header {
    pub version: u32,
    pub alignment: u64,
    pub data_offset: u64,
    pub metadata: Vec<(String, Value)>,
    pub key_index: HashMap<String, usize>,
    pub tensors: Vec<TensorInfo>,
    pub tensor_index: HashMap<String, usize>,
}

/// Where a field lives, for error messages; formatted only when an error happens.
#[derive(Clone, Copy)]
enum Ctx<'a> {
    Header,
    Kv {
        index: u64,
    },
    Key {
        key: &'a str,
    },
    Elem {
        key: &'a str,
        index: u64,
        depth: usize,
    },
    TensorIndex {
        index: u64,
    },
    Tensor {
        name: &'a str,
    },
}

#[derive(Clone, Copy)]
struct Field<'a> {
    what: &'static str,
    ctx: Ctx<'a>,
}

impl fmt::Display for Field<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = self.what;
        match self.ctx {
            Ctx::Header => write!(f, "header field `{what}`"),
            Ctx::Kv { index } => write!(f, "{what} of metadata entry #{index}"),
            Ctx::Key { key } => write!(f, "{what} of metadata key `{key}`"),
            Ctx::Elem {
                key,
                index,
                depth: 1,
            } => write!(f, "{what} of element {index} of metadata key `{key}`"),
            Ctx::Elem { key, index, depth } => {
                write!(
                    f,
                    "{what} of element {index} of a nested array (depth {depth}) in metadata key `{key}`"
                )
            }
            Ctx::TensorIndex { index } => write!(f, "{what} of tensor info #{index}"),
            Ctx::Tensor { name } => write!(f, "{what} of tensor `{name}`"),
        }
    }
}

fn field<'a>(what: &'static str, ctx: Ctx<'a>) -> Field<'a> {
    Field { what, ctx }
}

struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    array_elements: u64,
}

impl<'a> Cursor<'a> {
    fn offset(&self) -> u64 {
        self.pos as u64
    }

    fn file_size(&self) -> u64 {
        self.buf.len() as u64
    }

    fn remaining(&self) -> u64 {
        (self.buf.len() - self.pos.min(self.buf.len())) as u64
    }

    fn take(&mut self, n: u64, f: Field<'_>) -> Result<&'a [u8]> {
        let start = self.pos;
        let slice = usize::try_from(n)
            .ok()
            .and_then(|n| start.checked_add(n))
            .and_then(|end| self.buf.get(start..end));
        match slice {
            Some(s) => {
                self.pos += s.len();
                Ok(s)
            }
            None => Err(GgufError::Truncated {
                field: f.to_string(),
                offset: self.offset(),
                needed: n,
                file_size: self.file_size(),
            }),
        }
    }

    fn array<const N: usize>(&mut self, f: Field<'_>) -> Result<[u8; N]> {
        let bytes = self.take(N as u64, f)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    fn u8(&mut self, f: Field<'_>) -> Result<u8> {
        Ok(self.array::<1>(f)?[0])
    }

    fn u32(&mut self, f: Field<'_>) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(f)?))
    }

    fn u64(&mut self, f: Field<'_>) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(f)?))
    }

    /// Reads a count and checks that `count` items of at least `min_size` bytes fit in the rest
    /// of the file (`reserve` more bytes are needed after them).
    fn count(&mut self, min_size: u64, reserve: u64, f: Field<'_>) -> Result<u64> {
        let offset = self.offset();
        let count = self.u64(f)?;
        let remaining = self.remaining();
        let fits = count
            .checked_mul(min_size)
            .and_then(|n| n.checked_add(reserve))
            .is_some_and(|needed| needed <= remaining);
        if !fits {
            return Err(GgufError::CountTooLarge {
                field: f.to_string(),
                offset,
                count,
                remaining,
                min_size,
            });
        }
        Ok(count)
    }

    /// Reads a length-prefixed UTF-8 string (`what_len` names the length, `what` the bytes).
    fn str(
        &mut self,
        what_len: &'static str,
        what: &'static str,
        ctx: Ctx<'_>,
        max: u64,
    ) -> Result<(&'a str, u64)> {
        let len_offset = self.offset();
        let len = self.u64(field(what_len, ctx))?;
        let start = self.offset();
        if len > self.remaining() {
            return Err(GgufError::LengthTooLarge {
                field: field(what_len, ctx).to_string(),
                offset: len_offset,
                length: len,
                remaining: self.remaining(),
            });
        }
        if len > max {
            return Err(GgufError::TooLong {
                field: field(what, ctx).to_string(),
                offset: start,
                length: len,
                max,
            });
        }
        let bytes = self.take(len, field(what, ctx))?;
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok((s, start)),
            Err(e) => Err(GgufError::InvalidUtf8 {
                field: field(what, ctx).to_string(),
                offset: start,
                valid_up_to: e.valid_up_to() as u64,
            }),
        }
    }

    fn value_type(&mut self, what: &'static str, ctx: Ctx<'_>) -> Result<ValueType> {
        let offset = self.offset();
        let id = self.u32(field(what, ctx))?;
        ValueType::from_id(id).ok_or_else(|| GgufError::UnknownValueType {
            field: field(what, ctx).to_string(),
            offset,
            type_id: id,
        })
    }

    /// Reads one value of type `ty`; `depth` is the array nesting depth of the value itself.
    fn value(&mut self, ty: ValueType, key: &str, ctx: Ctx<'_>, depth: usize) -> Result<Value> {
        let f = field("value", ctx);
        Ok(match ty {
            ValueType::U8 => Value::U8(self.u8(f)?),
            ValueType::I8 => Value::I8(i8::from_le_bytes(self.array(f)?)),
            ValueType::U16 => Value::U16(u16::from_le_bytes(self.array(f)?)),
            ValueType::I16 => Value::I16(i16::from_le_bytes(self.array(f)?)),
            ValueType::U32 => Value::U32(self.u32(f)?),
            ValueType::I32 => Value::I32(i32::from_le_bytes(self.array(f)?)),
            ValueType::F32 => Value::F32(f32::from_le_bytes(self.array(f)?)),
            ValueType::U64 => Value::U64(self.u64(f)?),
            ValueType::I64 => Value::I64(i64::from_le_bytes(self.array(f)?)),
            ValueType::F64 => Value::F64(f64::from_le_bytes(self.array(f)?)),
            ValueType::Bool => {
                let offset = self.offset();
                match self.u8(f)? {
                    0 => Value::Bool(false),
                    1 => Value::Bool(true),
                    value => {
                        return Err(GgufError::InvalidBool {
                            field: f.to_string(),
                            offset,
                            value,
                        });
                    }
                }
            }
            ValueType::String => {
                let (s, _) = self.str("string length", "string", ctx, u64::MAX)?;
                Value::String(s.to_owned())
            }
            ValueType::Array => self.array_value(key, ctx, depth + 1)?,
        })
    }

    fn array_value(&mut self, key: &str, ctx: Ctx<'_>, depth: usize) -> Result<Value> {
        let type_offset = self.offset();
        if depth > limits::MAX_ARRAY_DEPTH {
            return Err(GgufError::NestingTooDeep {
                field: field("array", ctx).to_string(),
                offset: type_offset,
                depth,
                max: limits::MAX_ARRAY_DEPTH,
            });
        }
        let elem_ty = self.value_type("array element type", ctx)?;
        let count_offset = self.offset();
        let count = self.count(elem_ty.min_encoded_size(), 0, field("array length", ctx))?;
        self.array_elements = self.array_elements.saturating_add(count);
        if self.array_elements > limits::MAX_ARRAY_ELEMENTS {
            return Err(GgufError::TooManyArrayElements {
                field: field("array length", ctx).to_string(),
                offset: count_offset,
                max: limits::MAX_ARRAY_ELEMENTS,
            });
        }
        // `count` elements of at least one byte each fit in the rest of the file, so this
        // allocation is bounded by the file size (times the size of a `Value`).
        let n = usize::try_from(count).unwrap_or(0);
        let mut items = Vec::with_capacity(n);
        let elem_ctx = |index| Ctx::Elem { key, index, depth };
        macro_rules! bulk {
            ($t:ty, $variant:ident) => {{
                const SIZE: usize = std::mem::size_of::<$t>();
                let bytes = self.take(count * SIZE as u64, field("array data", ctx))?;
                items.extend(bytes.chunks_exact(SIZE).map(|c| {
                    let mut a = [0u8; SIZE];
                    a.copy_from_slice(c);
                    Value::$variant(<$t>::from_le_bytes(a))
                }));
            }};
        }
        match elem_ty {
            ValueType::U8 => bulk!(u8, U8),
            ValueType::I8 => bulk!(i8, I8),
            ValueType::U16 => bulk!(u16, U16),
            ValueType::I16 => bulk!(i16, I16),
            ValueType::U32 => bulk!(u32, U32),
            ValueType::I32 => bulk!(i32, I32),
            ValueType::F32 => bulk!(f32, F32),
            ValueType::U64 => bulk!(u64, U64),
            ValueType::I64 => bulk!(i64, I64),
            ValueType::F64 => bulk!(f64, F64),
            ValueType::String => {
                for index in 0..count {
                    let (s, _) = self.str("string length", "string", elem_ctx(index), u64::MAX)?;
                    items.push(Value::String(s.to_owned()));
                }
            }
            ValueType::Bool | ValueType::Array => {
                for index in 0..count {
                    items.push(self.value(elem_ty, key, elem_ctx(index), depth)?);
                }
            }
        }
        Ok(Value::Array(items))
    }
}

/// Parses and validates a whole GGUF file held in `buf`.
pub(crate) fn parse(buf: &[u8]) -> Result<Header> {
    let mut c = Cursor {
        buf,
        pos: 0,
        array_elements: 0,
    };
    let file_size = c.file_size();

    // Header.
    let magic: [u8; 4] = c.array(field("magic", Ctx::Header))?;
    if magic != MAGIC {
        return Err(GgufError::BadMagic { found: magic });
    }
    let version = c.u32(field("version", Ctx::Header))?;
    if version != 2 && version != 3 {
        return Err(GgufError::UnsupportedVersion { version });
    }
    // The tensor infos come after the metadata, so both counts are checked against the bytes left
    // after both count fields.
    let n_tensors_offset = c.offset();
    let n_tensors = c.u64(field("tensor_count", Ctx::Header))?;
    let n_kv = c.count(MIN_KV_SIZE, 0, field("metadata_kv_count", Ctx::Header))?;
    let tensor_bytes = n_tensors.checked_mul(MIN_TENSOR_INFO_SIZE);
    let kv_bytes = n_kv * MIN_KV_SIZE; // no overflow: checked by `count`
    if tensor_bytes
        .and_then(|t| t.checked_add(kv_bytes))
        .is_none_or(|t| t > c.remaining())
    {
        return Err(GgufError::CountTooLarge {
            field: field("tensor_count", Ctx::Header).to_string(),
            offset: n_tensors_offset,
            count: n_tensors,
            remaining: c.remaining().saturating_sub(kv_bytes),
            min_size: MIN_TENSOR_INFO_SIZE,
        });
    }

    // Metadata.
    let n_kv_usize = usize::try_from(n_kv).unwrap_or(0);
    let mut metadata: Vec<(String, Value)> = Vec::with_capacity(n_kv_usize);
    let mut key_index: HashMap<String, usize> = HashMap::with_capacity(n_kv_usize);
    let mut key_offsets: Vec<u64> = Vec::with_capacity(n_kv_usize);
    let mut alignment_entry: Option<(u64, usize)> = None;
    for index in 0..n_kv {
        let ctx = Ctx::Kv { index };
        let (key, key_offset) = c.str("key length", "key", ctx, limits::MAX_KEY_LEN)?;
        if key.is_empty() {
            return Err(GgufError::EmptyKey {
                field: field("key", ctx).to_string(),
                offset: key_offset,
            });
        }
        let kctx = Ctx::Key { key };
        let ty_offset = c.offset();
        let ty = c.value_type("value type", kctx)?;
        let value_offset = c.offset();
        let value = c.value(ty, key, kctx, 0)?;
        match key_index.entry(key.to_owned()) {
            Entry::Occupied(e) => {
                return Err(GgufError::DuplicateKey {
                    key: key.to_owned(),
                    offset: key_offset,
                    first_offset: key_offsets.get(*e.get()).copied().unwrap_or(0),
                });
            }
            Entry::Vacant(e) => {
                e.insert(metadata.len());
            }
        }
        if key == "general.alignment" {
            alignment_entry = Some((
                if ty == ValueType::Array {
                    ty_offset
                } else {
                    value_offset
                },
                metadata.len(),
            ));
        }
        key_offsets.push(key_offset);
        metadata.push((key.to_owned(), value));
    }

    // Alignment.
    let alignment = match alignment_entry {
        None => DEFAULT_ALIGNMENT,
        Some((offset, i)) => {
            let value = metadata.get(i).map(|(_, v)| v);
            match value.and_then(Value::as_u64) {
                Some(a) if a.is_power_of_two() && a <= limits::MAX_ALIGNMENT => a,
                Some(a) => {
                    return Err(GgufError::InvalidAlignment {
                        offset,
                        value: a.to_string(),
                        reason: if a == 0 || !a.is_power_of_two() {
                            "it must be a power of two"
                        } else {
                            "it is larger than the limit of 1 GiB"
                        },
                    });
                }
                None => {
                    return Err(GgufError::InvalidAlignment {
                        offset,
                        value: value
                            .map_or_else(String::new, |v| format!("{v:#} ({})", v.describe_type())),
                        reason: "it must be a non-negative integer (normally u32)",
                    });
                }
            }
        }
    };

    // Tensor infos.
    let n_tensors_usize = usize::try_from(n_tensors).unwrap_or(0);
    let mut tensors: Vec<TensorInfo> = Vec::with_capacity(n_tensors_usize);
    let mut tensor_index: HashMap<String, usize> = HashMap::with_capacity(n_tensors_usize);
    // Per tensor: (offset of its name, offset of its `offset` field).
    let mut info_offsets: Vec<(u64, u64)> = Vec::with_capacity(n_tensors_usize);
    for index in 0..n_tensors {
        let ctx = Ctx::TensorIndex { index };
        let (name, name_offset) = c.str("name length", "name", ctx, limits::MAX_TENSOR_NAME_LEN)?;
        if name.is_empty() {
            return Err(GgufError::EmptyKey {
                field: field("name", ctx).to_string(),
                offset: name_offset,
            });
        }
        if let Some(&first) = tensor_index.get(name) {
            return Err(GgufError::DuplicateTensor {
                name: name.to_owned(),
                offset: name_offset,
                first_offset: info_offsets.get(first).map_or(0, |o| o.0),
            });
        }
        let tctx = Ctx::Tensor { name };
        let n_dims_offset = c.offset();
        let n_dims = c.u32(field("n_dims", tctx))?;
        if n_dims > limits::MAX_DIMS {
            return Err(GgufError::TooManyDims {
                field: field("n_dims", tctx).to_string(),
                offset: n_dims_offset,
                n_dims,
                max: limits::MAX_DIMS,
            });
        }
        let dims_offset = c.offset();
        let mut dims = Vec::with_capacity(n_dims as usize);
        for d in 0..n_dims {
            let offset = c.offset();
            let f = field(
                DIM_NAMES.get(d as usize).copied().unwrap_or("dimension"),
                tctx,
            );
            let value = c.u64(f)?;
            let reason = if value == 0 {
                "dimensions must be at least 1"
            } else if value > i64::MAX as u64 {
                "dimensions above i64::MAX are negative in ggml"
            } else {
                dims.push(value);
                continue;
            };
            return Err(GgufError::InvalidDimension {
                field: f.to_string(),
                offset,
                value,
                reason,
            });
        }
        let type_offset = c.offset();
        let type_id = c.u32(field("type", tctx))?;
        let ggml_type = GgmlType::from_id(type_id).ok_or_else(|| GgufError::UnknownTensorType {
            field: field("type", tctx).to_string(),
            offset: type_offset,
            type_id,
        })?;
        let offset_offset = c.offset();
        let rel_offset = c.u64(field("offset", tctx))?;

        let too_large = || GgufError::TensorTooLarge {
            tensor: name.to_owned(),
            offset: dims_offset,
            dims: dims.clone(),
            ggml_type,
        };
        let n_elements = dims
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
            .ok_or_else(too_large)?;
        if n_elements > i64::MAX as u64 {
            return Err(too_large());
        }
        let row = dims.first().copied().unwrap_or(1);
        if !row.is_multiple_of(ggml_type.block_size()) {
            return Err(GgufError::RowNotBlockMultiple {
                tensor: name.to_owned(),
                offset: dims_offset,
                row,
                ggml_type,
                block_size: ggml_type.block_size(),
            });
        }
        let row_bytes = ggml_type.row_bytes(row).ok_or_else(too_large)?;
        let n_rows = n_elements / row; // row ≥ 1
        let n_bytes = row_bytes.checked_mul(n_rows).ok_or_else(too_large)?;
        if !rel_offset.is_multiple_of(alignment) {
            return Err(GgufError::MisalignedTensor {
                tensor: name.to_owned(),
                offset: offset_offset,
                data_offset: rel_offset,
                alignment,
            });
        }
        tensor_index.insert(name.to_owned(), tensors.len());
        info_offsets.push((name_offset, offset_offset));
        tensors.push(TensorInfo {
            name: name.to_owned(),
            dims,
            ggml_type,
            offset: rel_offset,
            n_bytes,
        });
    }

    // Tensor data: starts at the next multiple of the alignment. A file without tensors may end
    // before that padding (llama.cpp accepts that too).
    let data_offset = c.offset().div_ceil(alignment).saturating_mul(alignment);
    for (t, &(_, offset_field)) in tensors.iter_mut().zip(&info_offsets) {
        let end = data_offset
            .checked_add(t.offset)
            .and_then(|s| s.checked_add(t.n_bytes));
        if end.is_none_or(|end| end > file_size) {
            return Err(GgufError::TensorOutOfBounds {
                tensor: t.name.clone(),
                offset: offset_field,
                data_offset: t.offset,
                n_bytes: t.n_bytes,
                data_start: data_offset,
                file_size,
            });
        }
        t.offset += data_offset; // absolute from here on
    }
    let mut order: Vec<usize> = (0..tensors.len()).collect();
    order.sort_unstable_by_key(|&i| tensors.get(i).map_or(0, |t| t.offset));
    for pair in order.windows(2) {
        let (Some(a), Some(b)) = (tensors.get(pair[0]), tensors.get(pair[1])) else {
            continue;
        };
        if b.offset < a.offset + a.n_bytes {
            return Err(GgufError::OverlappingTensors {
                tensor: b.name.clone(),
                offset: info_offsets.get(pair[1]).map_or(0, |o| o.1),
                start: b.offset,
                end: b.offset + b.n_bytes,
                other: a.name.clone(),
                other_start: a.offset,
                other_end: a.offset + a.n_bytes,
            });
        }
    }

    Ok(Header {
        version,
        alignment,
        data_offset,
        metadata,
        key_index,
        tensors,
        tensor_index,
    })
}

const DIM_NAMES: [&str; 4] = ["dimension 0", "dimension 1", "dimension 2", "dimension 3"];
