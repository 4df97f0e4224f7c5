//! Property test: whatever the writer builds, the reader reads back exactly.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use vibrant_gguf::{GgmlType, GgufFile, Value, writer::GgufWriter};

/// Values compared bit for bit, so NaNs round-trip too.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::F32(x), Value::F32(y)) => x.to_bits() == y.to_bits(),
        (Value::F64(x), Value::F64(y)) => x.to_bits() == y.to_bits(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        _ => a == b,
    }
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<u8>().prop_map(Value::U8),
        any::<i8>().prop_map(Value::I8),
        any::<u16>().prop_map(Value::U16),
        any::<i16>().prop_map(Value::I16),
        any::<u32>().prop_map(Value::U32),
        any::<i32>().prop_map(Value::I32),
        any::<f32>().prop_map(Value::F32),
        any::<bool>().prop_map(Value::Bool),
        "\\PC{0,12}".prop_map(Value::String),
        any::<u64>().prop_map(Value::U64),
        any::<i64>().prop_map(Value::I64),
        any::<f64>().prop_map(Value::F64),
    ]
}

/// A homogeneous array of scalars of one type.
fn scalar_array() -> impl Strategy<Value = Value> {
    fn of<T: Into<Value> + std::fmt::Debug>(
        s: impl Strategy<Value = T>,
    ) -> impl Strategy<Value = Value> {
        prop::collection::vec(s, 0..6).prop_map(Value::from)
    }
    prop_oneof![
        of(any::<u8>()),
        of(any::<i8>()),
        of(any::<u16>()),
        of(any::<i16>()),
        of(any::<u32>()),
        of(any::<i32>()),
        of(any::<f32>()),
        of(any::<bool>()),
        of("\\PC{0,12}"),
        of(any::<u64>()),
        of(any::<i64>()),
        of(any::<f64>()),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    // Arrays of arrays: each inner array may have its own element type.
    let array = scalar_array().prop_recursive(3, 24, 4, |inner| {
        prop::collection::vec(inner, 0..4).prop_map(Value::Array)
    });
    prop_oneof![3 => scalar(), 1 => array]
}

#[derive(Debug, Clone)]
struct Tensor {
    ty: GgmlType,
    dims: Vec<u64>,
    data: Vec<u8>,
}

fn tensor() -> impl Strategy<Value = Tensor> {
    (
        prop::sample::select(GgmlType::ALL),
        1u64..3,
        prop::collection::vec(1u64..4, 0..4),
    )
        .prop_flat_map(|(ty, blocks, rest)| {
            let mut dims = vec![blocks * ty.block_size()];
            dims.extend(rest);
            let n = ty.row_bytes(dims[0]).unwrap() * dims[1..].iter().product::<u64>();
            prop::collection::vec(any::<u8>(), n as usize).prop_map(move |data| Tensor {
                ty,
                dims: dims.clone(),
                data,
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn write_then_read(
        version in 2u32..=3,
        align_log2 in 0u32..9,
        metadata in prop::collection::btree_map("[a-z][a-z0-9_.]{0,24}|\\PC{1,8}", value(), 0..12),
        tensors in prop::collection::vec(tensor(), 0..6),
    ) {
        let alignment = 1u64 << align_log2;
        let metadata: Vec<(String, Value)> =
            metadata.into_iter().filter(|(k, _)| k != "general.alignment").collect();
        let mut w = GgufWriter::new();
        w.version(version).alignment(alignment);
        for (k, v) in &metadata {
            w.metadata(k.clone(), v.clone());
        }
        for (i, t) in tensors.iter().enumerate() {
            w.tensor(format!("blk.{i}.weight"), t.ty, &t.dims, t.data.clone());
        }
        let f = GgufFile::from_bytes(w.to_bytes().unwrap()).unwrap();

        prop_assert_eq!(f.version(), version);
        prop_assert_eq!(f.alignment(), alignment);
        prop_assert_eq!(f.data_offset() % alignment, 0);
        let read: Vec<_> = f.metadata().iter().filter(|(k, _)| k != "general.alignment").collect();
        prop_assert_eq!(read.len(), metadata.len());
        for ((k1, v1), (k2, v2)) in metadata.iter().zip(read) {
            prop_assert_eq!(k1, k2);
            prop_assert!(same(v1, v2), "{k1}: wrote {v1:?}, read {v2:?}");
            prop_assert!(same(f.get(k1).unwrap(), v1));
        }
        prop_assert_eq!(f.tensors().len(), tensors.len());
        for (i, (t, info)) in tensors.iter().zip(f.tensors()).enumerate() {
            prop_assert_eq!(&info.name, &format!("blk.{i}.weight"));
            prop_assert_eq!(info.ggml_type, t.ty);
            prop_assert_eq!(&info.dims, &t.dims);
            prop_assert_eq!(info.n_bytes, t.data.len() as u64);
            prop_assert_eq!(info.n_elements(), t.dims.iter().product::<u64>());
            prop_assert_eq!((info.offset - f.data_offset()) % alignment, 0);
            prop_assert_eq!(f.tensor_data(info), &t.data[..]);
            prop_assert_eq!(f.tensor(&info.name), Some(info));
        }
    }
}
