//! One hand-made broken file per validation rule; each checks the error names the field and the
//! byte offset at fault.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Raw, at, fails};
use vibrant_gguf::{GgmlType, GgufError, GgufFile, limits, writer::GgufWriter};

/// A valid file with one metadata entry and one F32 tensor of 4 elements.
fn valid() -> Raw {
    let mut r = Raw::header(3, 1, 1);
    r.kv_str("general.architecture", "llama");
    r.tensor("t", &[4], 0, 0).pad(32).zeros(16);
    r
}

#[test]
fn the_hand_built_file_is_valid() {
    let f = GgufFile::from_bytes(valid().build()).unwrap();
    assert_eq!(f.architecture().unwrap(), "llama");
    assert_eq!(f.data_offset() % 32, 0);
    assert_eq!(f.tensor("t").unwrap().offset, f.data_offset());
    assert_eq!(f.tensor_data(f.tensor("t").unwrap()).len(), 16);
}

#[test]
fn wrong_magic() {
    let mut b = valid().build();
    b[..4].copy_from_slice(b"GGML");
    let e = fails(b, &["magic", &at(0), "GGML"]);
    assert!(matches!(e, GgufError::BadMagic { .. }));
}

#[test]
fn unsupported_versions() {
    for (version, hint) in [
        (1, "obsolete"),
        (4, "versions 2 and 3"),
        (0x0300_0000, "big-endian"),
    ] {
        let mut b = valid().build();
        b[4..8].copy_from_slice(&u32::to_le_bytes(version));
        fails(b, &["version", &version.to_string(), &at(4), hint]);
    }
    let mut v2 = valid().build();
    v2[4..8].copy_from_slice(&2u32.to_le_bytes());
    assert_eq!(GgufFile::from_bytes(v2).unwrap().version(), 2);
}

#[test]
fn truncated_header() {
    for (len, field, offset) in [
        (0, "magic", 0),
        (3, "magic", 0),
        (6, "version", 4),
        (12, "tensor_count", 8),
        (20, "metadata_kv_count", 16),
    ] {
        let b = valid().build()[..len].to_vec();
        let e = fails(b, &[field, &at(offset), "truncated"]);
        assert!(matches!(e, GgufError::Truncated { .. }), "{e}");
    }
}

#[test]
fn truncated_in_metadata_and_tensor_infos() {
    // Cut inside the string value "llama" (bytes 24+8+20+4+8 = 64..69).
    let b = valid().build()[..66].to_vec();
    fails(
        b,
        &[
            "string length of metadata key `general.architecture`",
            &at(56),
            "5 bytes",
            "only 2",
        ],
    );
    // Cut inside the tensor info (the name starts at 69 + 8 = 77; n_dims at 78; dims at 82).
    let b = valid().build()[..85].to_vec();
    fails(b, &["dimension 0 of tensor `t`", &at(82), "truncated"]);
}

#[test]
fn truncated_at_every_length_never_panics_and_always_fails() {
    let mut w = GgufWriter::new();
    w.metadata("general.architecture", "llama")
        .metadata("a.u8", 1u8)
        .metadata("a.list", vec![vec![1i16, 2], vec![3]])
        .metadata("a.names", vec!["x", "yy"])
        .metadata("a.flag", true)
        .metadata("a.f64", 2.5f64);
    w.tensor_f32("w", &[2, 2], &[1.0, 2.0, 3.0, 4.0])
        .tensor_f32("v", &[3], &[1.0, 2.0, 3.0]);
    let full = w.to_bytes().unwrap();
    let data_end = full.len() - 32 + 12; // the last tensor's data ends before its padding
    GgufFile::from_bytes(full[..data_end].to_vec()).unwrap();
    for len in 0..data_end {
        let e = GgufFile::from_bytes(full[..len].to_vec()).unwrap_err();
        assert!(
            e.offset().is_some_and(|o| o <= len as u64),
            "len {len}: {e}"
        );
        assert!(e.to_string().contains("byte offset"), "len {len}: {e}");
    }
}

#[test]
fn truncated_tensor_data() {
    let b = valid().build();
    let short = b[..b.len() - 1].to_vec();
    // The tensor's `offset` field is the last 8 bytes of its info (at 77 + 1 + 4 + 8 + 4 = 94).
    let e = fails(
        short,
        &[
            "tensor `t`",
            "16 bytes",
            &at(94),
            "end past the end of the file",
        ],
    );
    assert!(matches!(e, GgufError::TensorOutOfBounds { .. }));
}

#[test]
fn counts_larger_than_the_file() {
    let mut b = valid().build();
    b[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
    fails(b, &["metadata_kv_count", &at(16), &u64::MAX.to_string()]);
    let mut b = valid().build();
    b[8..16].copy_from_slice(&(1u64 << 40).to_le_bytes());
    fails(b, &["tensor_count", &at(8), &(1u64 << 40).to_string()]);
    // Enough for the metadata, but not for this many tensor infos as well.
    let mut b = valid().build();
    b[8..16].copy_from_slice(&5u64.to_le_bytes());
    fails(b, &["tensor_count", &at(8), "is 5"]);
}

#[test]
fn string_and_array_lengths_larger_than_the_file() {
    let mut r = Raw::header(3, 0, 1);
    r.str(b"k").u32(8).u64(1 << 50).bytes(b"abc");
    fails(
        r.build(),
        &[
            "string length of metadata key `k`",
            &at(37),
            &(1u64 << 50).to_string(),
        ],
    );

    let mut r = Raw::header(3, 0, 1);
    r.u64(u64::MAX).bytes(b"key").zeros(20);
    fails(r.build(), &["key length of metadata entry #0", &at(24)]);

    // 1000 u32 elements need 4000 bytes.
    let mut r = Raw::header(3, 0, 1);
    r.str(b"k").u32(9).u32(4).u64(1000).zeros(100);
    let e = fails(
        r.build(),
        &[
            "array length of metadata key `k`",
            &at(41),
            "is 1000",
            "at least 4 bytes",
        ],
    );
    assert!(matches!(e, GgufError::CountTooLarge { .. }));

    // u64::MAX strings: the multiplication by the minimum size must not overflow.
    let mut r = Raw::header(3, 0, 1);
    r.str(b"k").u32(9).u32(8).u64(u64::MAX);
    fails(r.build(), &["array length of metadata key `k`", &at(41)]);

    let mut r = Raw::header(3, 1, 0);
    r.u64(1 << 33).bytes(b"name").zeros(40);
    fails(r.build(), &["name length of tensor info #0", &at(24)]);
}

#[test]
fn empty_and_duplicate_keys() {
    let mut r = Raw::header(3, 0, 1);
    r.str(b"").u32(4).u32(1);
    fails(r.build(), &["key of metadata entry #0", &at(32), "empty"]);

    let mut r = Raw::header(3, 0, 3);
    r.kv_u32("a", 1).kv_u32("b", 2);
    let second = r.pos() + 8;
    r.kv_u32("a", 3);
    let e = fails(
        r.build(),
        &[
            "duplicate metadata key `a`",
            &at(second),
            "first defined at byte offset 32",
        ],
    );
    assert!(matches!(e, GgufError::DuplicateKey { .. }));
}

#[test]
fn duplicate_tensor_names() {
    let mut r = Raw::header(3, 2, 0);
    r.tensor("t", &[8], 0, 0);
    let second = r.pos() + 8;
    r.tensor("t", &[8], 0, 32).pad(32).zeros(64);
    fails(
        r.build(),
        &[
            "duplicate tensor name `t`",
            &at(second),
            "first defined at byte offset 32",
        ],
    );
}

#[test]
fn invalid_utf8() {
    let mut r = Raw::header(3, 0, 1);
    r.str(b"ke\xffy").u32(4).u32(1);
    fails(
        r.build(),
        &["key of metadata entry #0", &at(32), "UTF-8", "2 bytes into"],
    );

    let mut r = Raw::header(3, 0, 1);
    r.str(b"k").u32(8).str(b"\xc3\x28");
    fails(r.build(), &["string of metadata key `k`", &at(45), "UTF-8"]);

    let mut r = Raw::header(3, 0, 1);
    r.str(b"k").u32(9).u32(8).u64(2).str(b"ok").str(b"\x80");
    fails(
        r.build(),
        &["string of element 1 of metadata key `k`", &at(67), "UTF-8"],
    );

    let mut r = Raw::header(3, 1, 0);
    r.tensor("bad\u{1}", &[4], 0, 0);
    let mut b = r.build();
    b[35] = 0xfe; // the last byte of the name
    fails(b, &["name of tensor info #0", &at(32), "UTF-8"]);
}

#[test]
fn unknown_value_types() {
    let mut r = Raw::header(3, 0, 1);
    r.str(b"k").u32(13).u32(0);
    fails(
        r.build(),
        &["value type of metadata key `k`", &at(33), "13"],
    );

    let mut r = Raw::header(3, 0, 1);
    r.str(b"k").u32(9).u32(99).u64(0);
    fails(
        r.build(),
        &["array element type of metadata key `k`", &at(37), "99"],
    );
}

#[test]
fn invalid_bool() {
    let mut r = Raw::header(3, 0, 1);
    r.str(b"k").u32(7).u8(2);
    fails(
        r.build(),
        &["value of metadata key `k`", &at(37), "is 2", "0 or 1"],
    );

    let mut r = Raw::header(3, 0, 1);
    r.str(b"k").u32(9).u32(7).u64(3).bytes(&[1, 0, 7]);
    fails(
        r.build(),
        &["value of element 2 of metadata key `k`", &at(51), "is 7"],
    );
}

#[test]
fn unknown_tensor_types() {
    for id in [4u32, 31, 36, 42, 1 << 20] {
        let mut r = Raw::header(3, 1, 0);
        r.tensor("t", &[32], id, 0).pad(32).zeros(256);
        // name at 32, n_dims at 33, dim 0 at 37, type at 45
        let e = fails(
            r.build(),
            &[
                "type of tensor `t`",
                &at(45),
                &id.to_string(),
                "not a ggml type",
            ],
        );
        assert!(matches!(e, GgufError::UnknownTensorType { .. }));
    }
}

#[test]
fn too_many_dimensions() {
    let mut r = Raw::header(3, 1, 0);
    r.tensor("t", &[1, 1, 1, 1, 1], 0, 0).pad(32).zeros(4);
    fails(
        r.build(),
        &["n_dims of tensor `t`", &at(33), "is 5", "at most 4"],
    );
    // Four is fine, and so is a scalar.
    for dims in [&[1u64, 1, 1, 1][..], &[]] {
        let mut r = Raw::header(3, 1, 0);
        r.tensor("t", dims, 0, 0).pad(32).zeros(4);
        let f = GgufFile::from_bytes(r.build()).unwrap();
        assert_eq!(f.tensor("t").unwrap().n_bytes, 4);
    }
}

#[test]
fn zero_and_negative_dimensions() {
    let mut r = Raw::header(3, 1, 0);
    r.tensor("t", &[4, 0], 0, 0).pad(32).zeros(16);
    fails(
        r.build(),
        &["dimension 1 of tensor `t`", &at(45), "is 0", "at least 1"],
    );

    let mut r = Raw::header(3, 1, 0);
    r.tensor("t", &[1 << 63], 0, 0).pad(32).zeros(16);
    fails(
        r.build(),
        &["dimension 0 of tensor `t`", &at(37), "negative"],
    );
}

#[test]
fn sizes_that_overflow() {
    // 2^96 elements.
    let mut r = Raw::header(3, 1, 0);
    r.tensor("t", &[1 << 32, 1 << 32, 1 << 32], 0, 0).pad(32);
    let e = fails(r.build(), &["tensor `t`", &at(37), "overflow"]);
    assert!(matches!(e, GgufError::TensorTooLarge { .. }));
    // 2^63 elements: more than ggml's int64 element count.
    let mut r = Raw::header(3, 1, 0);
    r.tensor("t", &[1 << 62, 2], 0, 0).pad(32);
    fails(r.build(), &["tensor `t`", &at(37), "overflow"]);
    // 2^61 F64 elements fit an i64 count, but their 2^64 bytes do not fit a u64.
    let mut r = Raw::header(3, 1, 0);
    r.tensor("t", &[1 << 61], GgmlType::F64.id(), 0).pad(32);
    fails(r.build(), &["tensor `t`", &at(37), "overflow"]);
}

#[test]
fn row_not_a_multiple_of_the_block_size() {
    let mut r = Raw::header(3, 1, 0);
    r.tensor("t", &[100, 2], GgmlType::Q4_K.id(), 0)
        .pad(32)
        .zeros(1024);
    let e = fails(
        r.build(),
        &[
            "tensor `t`",
            &at(37),
            "row length 100",
            "Q4_K block size 256",
        ],
    );
    assert!(matches!(e, GgufError::RowNotBlockMultiple { .. }));
}

#[test]
fn misaligned_tensor_data() {
    let mut r = Raw::header(3, 1, 0);
    r.tensor("t", &[4], 0, 16).pad(32).zeros(64);
    // name at 32, n_dims 33, dim 37, type 45, offset 49
    let e = fails(
        r.build(),
        &["tensor `t`", "data offset 16", &at(49), "alignment 32"],
    );
    assert!(matches!(e, GgufError::MisalignedTensor { .. }));
}

#[test]
fn overlapping_tensor_data() {
    let mut r = Raw::header(3, 2, 0);
    r.tensor("a", &[16], 0, 0);
    let second_offset_field = r.pos() + 8 + 1 + 4 + 8 + 4;
    r.tensor("b", &[16], 0, 32).pad(32);
    let data = r.pos();
    r.zeros(128);
    let e = fails(
        r.build(),
        &[
            "tensor `b`",
            &format!("bytes {}..{}", data + 32, data + 96),
            &at(second_offset_field),
            &format!("tensor `a` at bytes {data}..{}", data + 64),
        ],
    );
    assert!(matches!(e, GgufError::OverlappingTensors { .. }));
}

#[test]
fn tensor_data_outside_the_file() {
    let mut r = Raw::header(3, 1, 0);
    r.tensor("t", &[4], 0, 1 << 20).pad(32).zeros(16);
    fails(
        r.build(),
        &["tensor `t`", &at(49), "end past the end of the file"],
    );
    // An offset so large that adding it to the data section start overflows.
    let mut r = Raw::header(3, 1, 0);
    r.tensor("t", &[4], 0, u64::MAX - 31).pad(32).zeros(16);
    fails(
        r.build(),
        &["tensor `t`", &at(49), "end past the end of the file"],
    );
}

#[test]
fn invalid_alignment() {
    for (v, reason) in [
        (0u32, "power of two"),
        (3, "power of two"),
        (48, "power of two"),
        (1 << 31, "limit"),
    ] {
        let mut r = Raw::header(3, 0, 1);
        r.kv_u32("general.alignment", v);
        fails(
            r.build(),
            &["general.alignment", &at(53), &v.to_string(), reason],
        );
    }
    let mut r = Raw::header(3, 0, 1);
    r.kv_str("general.alignment", "32");
    fails(r.build(), &["general.alignment", &at(53), "integer"]);
}

#[test]
fn custom_alignment_is_honoured() {
    let mut r = Raw::header(3, 2, 1);
    r.kv_u32("general.alignment", 64);
    r.tensor("a", &[4], 0, 0)
        .tensor("b", &[4], 0, 64)
        .pad(64)
        .zeros(128);
    let f = GgufFile::from_bytes(r.build()).unwrap();
    assert_eq!(f.alignment(), 64);
    assert_eq!(f.data_offset() % 64, 0);
    assert_eq!(f.tensor("b").unwrap().offset, f.data_offset() + 64);
    // With alignment 64, offset 32 is misaligned.
    let mut r = Raw::header(3, 1, 1);
    r.kv_u32("general.alignment", 64);
    r.tensor("a", &[4], 0, 32).pad(64).zeros(128);
    fails(r.build(), &["data offset 32", "alignment 64"]);
}

#[test]
fn nesting_depth_is_bounded() {
    fn nested(depth: usize) -> Vec<u8> {
        let mut r = Raw::header(3, 0, 1);
        r.str(b"k").u32(9);
        for _ in 1..depth {
            r.u32(9).u64(1);
        }
        r.u32(0).u64(1).u8(42);
        r.build()
    }
    let ok = GgufFile::from_bytes(nested(limits::MAX_ARRAY_DEPTH)).unwrap();
    let mut v = ok.get("k").unwrap();
    for _ in 0..limits::MAX_ARRAY_DEPTH {
        v = &v.as_array().unwrap()[0];
    }
    assert_eq!(v.as_u64(), Some(42));
    let depth = limits::MAX_ARRAY_DEPTH + 1;
    // The innermost array's type field: header 24 + key 9 + type 4 + 12 per enclosing array.
    let offset = 37 + 12 * (depth as u64 - 1);
    let e = fails(
        nested(depth),
        &[
            "metadata key `k`",
            &at(offset),
            "nested 9 deep",
            "at most 8",
        ],
    );
    assert!(matches!(e, GgufError::NestingTooDeep { .. }));
    // A hostile depth is rejected just as quickly.
    fails(nested(100_000), &["nested 9 deep"]);
}

#[test]
fn total_array_elements_are_bounded() {
    let n = limits::MAX_ARRAY_ELEMENTS + 1;
    let mut r = Raw::header(3, 0, 1);
    r.str(b"k").u32(9).u32(0).u64(n).zeros(n as usize);
    fails(
        r.build(),
        &["array length of metadata key `k`", &at(41), "in total"],
    );
}

#[test]
fn tensor_names_are_limited_like_ggml() {
    let name = "n".repeat(64);
    let mut r = Raw::header(3, 1, 0);
    r.tensor(&name, &[4], 0, 0).pad(32).zeros(16);
    fails(
        r.build(),
        &["name of tensor info #0", &at(32), "64 bytes", "limit of 63"],
    );
    let mut r = Raw::header(3, 1, 0);
    r.tensor("", &[4], 0, 0).pad(32).zeros(16);
    fails(r.build(), &["name of tensor info #0", &at(32), "empty"]);
}

#[test]
fn a_file_without_tensors_may_omit_the_final_padding() {
    let mut r = Raw::header(3, 0, 1);
    r.kv_str("general.architecture", "llama");
    let f = GgufFile::from_bytes(r.build()).unwrap();
    assert!(f.tensors().is_empty());
    assert_eq!(f.data_offset(), 96);
}

#[test]
fn every_single_byte_corruption_is_handled() {
    // A small mini-fuzz: each byte of a valid file replaced by a few values must parse or fail,
    // never panic, and failures must name an offset inside the file.
    let mut w = GgufWriter::new();
    w.metadata("general.architecture", "llama")
        .metadata("x", vec![vec![1u8], vec![2u8, 3]])
        .metadata("b", true);
    w.tensor("q", GgmlType::Q4_0, &[32, 2], vec![0u8; 36])
        .tensor_f32("f", &[2], &[1.0, 2.0]);
    let valid = w.to_bytes().unwrap();
    for i in 0..valid.len() {
        for v in [0x00, 0x01, 0x09, 0x7f, 0x80, 0xff] {
            let mut b = valid.clone();
            b[i] = v;
            if let Err(e) = GgufFile::from_bytes(b) {
                let offset = e
                    .offset()
                    .unwrap_or_else(|| panic!("byte {i} = {v}: no offset in {e}"));
                assert!(offset <= valid.len() as u64, "byte {i} = {v}: {e}");
            }
        }
    }
}
