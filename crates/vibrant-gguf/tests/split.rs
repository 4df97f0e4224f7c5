//! Models split over several files.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use vibrant_gguf::{GgufError, GgufFile, find_tensor, writer::GgufWriter};

/// Writes `count` parts, part `i` holding tensor `t{i}`; `tweak` may change a part's writer.
fn write_parts(dir: &Path, count: u16, tweak: impl Fn(u16, &mut GgufWriter)) -> Vec<PathBuf> {
    (0..count)
        .map(|i| {
            let mut w = GgufWriter::new();
            if i == 0 {
                w.metadata("general.architecture", "llama");
            }
            w.metadata("split.no", i)
                .metadata("split.count", count)
                .metadata("split.tensors.count", i32::from(count));
            w.tensor_f32(format!("t{i}"), &[2], &[f32::from(i), 1.0]);
            tweak(i, &mut w);
            let path = dir.join(format!("m-{:05}-of-{count:05}.gguf", i + 1));
            w.write(&path).unwrap();
            path
        })
        .collect()
}

#[test]
fn opens_every_part() {
    let dir = tempfile::tempdir().unwrap();
    let paths = write_parts(dir.path(), 3, |_, _| {});
    // Any part leads to all of them.
    for p in &paths {
        let parts = GgufFile::open_split(p).unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].architecture().unwrap(), "llama");
        let (file, t) = find_tensor(&parts, "t2").unwrap();
        assert_eq!(file.path(), Some(paths[2].as_path()));
        assert_eq!(file.tensor_data(t)[..4], 2.0f32.to_le_bytes());
    }
}

#[test]
fn a_single_file_opens_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("single.gguf");
    let mut w = GgufWriter::new();
    w.metadata("general.architecture", "llama");
    w.write(&path).unwrap();
    assert_eq!(GgufFile::open_split(&path).unwrap().len(), 1);
    // ... unless it says it is one of several.
    w.metadata("split.count", 2u16);
    w.write(&path).unwrap();
    let e = GgufFile::open_split(&path).unwrap_err();
    assert!(e.to_string().contains("split into 2 files"), "{e}");
}

#[test]
fn inconsistent_parts_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let paths = write_parts(dir.path(), 2, |_, _| {});
    std::fs::remove_file(&paths[1]).unwrap();
    let e = GgufFile::open_split(&paths[0]).unwrap_err();
    assert!(
        matches!(e, GgufError::Io { .. }) && e.to_string().contains("m-00002-of-00002.gguf"),
        "{e}"
    );

    let dir = tempfile::tempdir().unwrap();
    let paths = write_parts(dir.path(), 2, |i, w| {
        if i == 1 {
            w.tensor_f32("t0", &[1], &[0.0]);
        }
    });
    let e = GgufFile::open_split(&paths[0]).unwrap_err();
    assert!(
        e.to_string().contains("tensor `t0` is also in")
            && e.to_string().contains("m-00002-of-00002"),
        "{e}"
    );

    // Parts whose `split.no` does not match their names.
    let dir = tempfile::tempdir().unwrap();
    let paths = write_parts(dir.path(), 2, |_, _| {});
    std::fs::rename(&paths[0], dir.path().join("tmp")).unwrap();
    std::fs::rename(&paths[1], &paths[0]).unwrap();
    std::fs::rename(dir.path().join("tmp"), &paths[1]).unwrap();
    let e = GgufFile::open_split(&paths[0]).unwrap_err();
    assert!(e.to_string().contains("`split.no` is Some(1)"), "{e}");

    // A wrong total tensor count.
    let dir = tempfile::tempdir().unwrap();
    let paths = write_parts(dir.path(), 2, |i, w| {
        if i == 1 {
            w.tensor_f32("extra", &[1], &[0.0]);
        }
    });
    let e = GgufFile::open_split(&paths[1]).unwrap_err();
    assert!(
        e.to_string()
            .contains("`split.tensors.count` is 2, but the parts hold 3 tensors"),
        "{e}"
    );
}

#[test]
fn released_tensor_pages_read_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.gguf");
    let mut w = GgufWriter::new();
    w.metadata("general.architecture", "llama");
    // Several pages of data, so whole pages fall inside the tensor.
    let values: Vec<f32> = (0..8192).map(|i| i as f32 * 0.5).collect();
    w.tensor_f32("big", &[8192], &values);
    w.write(&path).unwrap();
    let file = GgufFile::open(&path).unwrap();
    let info = file.tensor("big").unwrap().clone();
    let before = file.tensor_data(&info).to_vec();
    assert_eq!(before.len(), 8192 * 4);
    file.release_tensor_data(&info);
    // The pages come back from the file.
    assert_eq!(file.tensor_data(&info), before.as_slice());
}
