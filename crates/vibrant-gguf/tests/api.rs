//! The typed accessors, `open` from a path, and the writer's own checks.
#![allow(clippy::unwrap_used)]

use vibrant_gguf::{GgmlType, GgufError, GgufFile, TensorInfo, Value, writer::GgufWriter};

fn sample() -> GgufWriter {
    let mut w = GgufWriter::new();
    w.metadata("general.architecture", "llama")
        .metadata("u8", 200u8)
        .metadata("neg", -3i32)
        .metadata("big", u64::MAX)
        .metadata("f", 0.5f32)
        .metadata("d", 0.25f64)
        .metadata("flag", true)
        .metadata("tokens", vec!["a", "b", "c"])
        .metadata("types", vec![1i32, 2, 3])
        .metadata("wide", vec![1u64, 1 << 40])
        .metadata("scores", vec![0.5f32, -1.0])
        .metadata("mixed_ints", vec![1u16, 2]);
    w.tensor_f32("w", &[2, 3], &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    w.tensor("q", GgmlType::Q8_0, &[32], vec![7u8; 34]);
    w
}

#[test]
fn typed_accessors() {
    let f = GgufFile::from_bytes(sample().to_bytes().unwrap()).unwrap();
    assert_eq!(f.architecture().unwrap(), "llama");
    assert_eq!(f.get_u32("u8").unwrap(), Some(200));
    assert_eq!(f.get_u64("big").unwrap(), Some(u64::MAX));
    assert_eq!(f.get_i64("neg").unwrap(), Some(-3));
    assert_eq!(f.get_f32("f").unwrap(), Some(0.5));
    assert_eq!(f.get_f32("d").unwrap(), Some(0.25));
    assert_eq!(f.get_f32("u8").unwrap(), Some(200.0));
    assert_eq!(f.get_bool("flag").unwrap(), Some(true));
    assert_eq!(
        f.get_str_array("tokens").unwrap(),
        Some(vec!["a", "b", "c"])
    );
    assert_eq!(f.get_i32_array("types").unwrap(), Some(vec![1, 2, 3]));
    assert_eq!(f.get_i32_array("mixed_ints").unwrap(), Some(vec![1, 2]));
    assert_eq!(f.get_f32_array("scores").unwrap(), Some(vec![0.5, -1.0]));
    assert_eq!(f.get_f32_array("types").unwrap(), Some(vec![1.0, 2.0, 3.0]));
    assert_eq!(f.get_array("tokens").unwrap().map(<[Value]>::len), Some(3));
    // Absent keys are Ok(None).
    assert_eq!(f.get_u32("missing").unwrap(), None);
    assert_eq!(f.get_str_array("missing").unwrap(), None);
    // Metadata keeps file order.
    let keys: Vec<&str> = f.metadata().iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys[..3], ["general.architecture", "u8", "neg"]);
}

#[test]
fn accessor_errors_name_the_key_and_both_types() {
    let f = GgufFile::from_bytes(sample().to_bytes().unwrap()).unwrap();
    let cases: Vec<(GgufError, &[&str])> = vec![
        (
            f.get_str("u8").unwrap_err(),
            &["`u8`", "type u8", "expected string"],
        ),
        (
            f.get_u32("neg").unwrap_err(),
            &["`neg`", "-3", "does not fit in u32"],
        ),
        (
            f.get_u32("big").unwrap_err(),
            &["`big`", "does not fit in u32"],
        ),
        (f.get_u64("neg").unwrap_err(), &["`neg`", "u64"]),
        (
            f.get_u32("f").unwrap_err(),
            &["`f`", "type f32", "expected an integer"],
        ),
        (f.get_bool("u8").unwrap_err(), &["`u8`", "expected bool"]),
        (
            f.get_f32("tokens").unwrap_err(),
            &["`tokens`", "array of string", "a number"],
        ),
        (
            f.get_array("flag").unwrap_err(),
            &["`flag`", "type bool", "expected array"],
        ),
        (
            f.get_str_array("types").unwrap_err(),
            &["`types`", "array of i32", "expected array of string"],
        ),
        (
            f.get_i32_array("wide").unwrap_err(),
            &["`wide`", "1099511627776 (element 1)", "i32"],
        ),
        (
            f.get_i32_array("scores").unwrap_err(),
            &["`scores`", "array of f32", "integers"],
        ),
        (
            f.get_f32_array("tokens").unwrap_err(),
            &["`tokens`", "array of numbers"],
        ),
    ];
    for (e, needles) in cases {
        let msg = e.to_string();
        for n in needles {
            assert!(msg.contains(n), "{msg:?} lacks {n:?}");
        }
    }
    let mut w = GgufWriter::new();
    w.metadata("general.name", "x");
    let f = GgufFile::from_bytes(w.to_bytes().unwrap()).unwrap();
    assert!(
        f.architecture()
            .unwrap_err()
            .to_string()
            .contains("`general.architecture` is missing")
    );
}

#[test]
fn open_maps_the_file_and_errors_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.gguf");
    sample().write(&path).unwrap();
    let f = GgufFile::open(&path).unwrap();
    assert_eq!(f.path(), Some(path.as_path()));
    assert_eq!(f.file_size(), std::fs::metadata(&path).unwrap().len());
    let w = f.tensor("w").unwrap();
    assert_eq!(w.n_rows(), 3);
    assert_eq!(w.row_bytes(), 8);
    assert_eq!(f.tensor_data(w)[4..8], 1.0f32.to_le_bytes());
    assert_eq!(f.tensor_data(f.tensor("q").unwrap()), &[7u8; 34][..]);
    // Accessor errors of a file opened from a path carry the path too.
    let e = f.get_str("u8").unwrap_err();
    assert_eq!(e.path(), Some(path.as_path()));
    assert!(
        e.to_string().starts_with(&path.display().to_string()),
        "{e}"
    );
    assert!(matches!(e.inner(), GgufError::WrongType { .. }));

    // A truncated file: the message has the path, the field and the offset.
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..40]).unwrap();
    let e = GgufFile::open(&path).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains(&path.display().to_string())
            && msg.contains("metadata_kv_count")
            && msg.contains("byte offset 16"),
        "{msg}"
    );
    assert_eq!(e.offset(), Some(16));

    std::fs::write(&path, b"").unwrap();
    let e = GgufFile::open(&path).unwrap_err();
    assert!(
        e.to_string().contains("magic") && e.to_string().contains(&path.display().to_string()),
        "{e}"
    );

    let missing = dir.path().join("nope.gguf");
    let e = GgufFile::open(&missing).unwrap_err();
    assert!(
        matches!(e, GgufError::Io { .. }) && e.to_string().contains("nope.gguf"),
        "{e}"
    );
    let e = GgufFile::open(dir.path()).unwrap_err();
    assert!(e.to_string().contains("not a regular file"), "{e}");
    assert!(
        e.to_string().contains(&dir.path().display().to_string()),
        "{e}"
    );
}

#[test]
fn tensor_data_of_a_foreign_tensor_info_is_empty_not_a_panic() {
    let f = GgufFile::from_bytes(sample().to_bytes().unwrap()).unwrap();
    let foreign = TensorInfo {
        name: "x".into(),
        dims: vec![4],
        ggml_type: GgmlType::F32,
        offset: u64::MAX - 2,
        n_bytes: 16,
    };
    assert!(f.tensor_data(&foreign).is_empty());
}

#[test]
fn the_writer_refuses_to_build_invalid_files() {
    let cases: Vec<(GgufWriter, &str)> = vec![
        (
            {
                let mut w = GgufWriter::new();
                w.metadata("", 1u8);
                w
            },
            "empty",
        ),
        (
            {
                let mut w = GgufWriter::new();
                w.metadata("a", 1u8).metadata("a", 2u8);
                w
            },
            "duplicate metadata key `a`",
        ),
        (
            {
                let mut w = GgufWriter::new();
                w.metadata("a", Value::Array(vec![Value::U8(1), Value::I8(1)]));
                w
            },
            "mixes u8 and i8",
        ),
        (
            {
                let mut w = GgufWriter::new();
                w.tensor("t", GgmlType::F32, &[4], vec![0u8; 15]);
                w
            },
            "needs 16 bytes, got 15",
        ),
        (
            {
                let mut w = GgufWriter::new();
                w.tensor("t", GgmlType::Q4_0, &[16], vec![0u8; 9]);
                w
            },
            "invalid number",
        ),
        (
            {
                let mut w = GgufWriter::new();
                w.tensor_f32("t", &[1], &[0.0])
                    .tensor_f32("t", &[1], &[0.0]);
                w
            },
            "duplicate tensor",
        ),
        (
            {
                let mut w = GgufWriter::new();
                w.tensor_f32("t", &[1, 0], &[]);
                w
            },
            "invalid dims",
        ),
        (
            {
                let mut w = GgufWriter::new();
                w.alignment(24);
                w
            },
            "alignment 24",
        ),
        (
            {
                let mut w = GgufWriter::new();
                w.version(1);
                w
            },
            "version 1",
        ),
        (
            {
                let mut w = GgufWriter::new();
                w.alignment(64).metadata("general.alignment", 32u32);
                w
            },
            "general.alignment is 32",
        ),
    ];
    for (w, needle) in cases {
        let msg = w.to_bytes().unwrap_err().to_string();
        assert!(msg.contains(needle), "{msg:?} lacks {needle:?}");
    }
}

#[test]
fn value_helpers() {
    assert_eq!(
        Value::from(vec![vec![1u8]]).describe_type(),
        "array of array of u8"
    );
    assert_eq!(Value::from("x").as_str(), Some("x"));
    assert_eq!(Value::U16(9).as_u64(), Some(9));
    assert_eq!(
        Value::from(vec![1u8]).as_array().map(<[Value]>::len),
        Some(1)
    );
    assert_eq!(Value::Bool(false).as_bool(), Some(false));
    assert_eq!(Value::F64(1.5).to_string(), "1.5");
}

#[test]
fn files_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<GgufFile>();
    assert_send_sync::<GgufError>();
}
