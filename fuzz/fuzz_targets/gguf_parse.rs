//! Parses arbitrary bytes as GGUF. Any panic, hang, out-of-bounds access or allocation beyond the
//! fuzzer's limit is a bug; on success, every accessor must work and every tensor's data must be
//! exactly `n_bytes` long.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vibrant_gguf::GgufFile;

fuzz_target!(|data: &[u8]| {
    let file = match GgufFile::from_bytes(data.to_vec()) {
        Ok(file) => file,
        Err(e) => {
            // Formatting the error must not panic either, and parse errors say where.
            let _ = e.to_string();
            assert!(e.offset().is_some(), "parse error without an offset: {e}");
            return;
        }
    };
    for (key, value) in file.metadata() {
        assert!(file.get(key).is_some());
        let _ = format!("{value} {value:#} {}", value.describe_type());
        let _ = file.get_str(key);
        let _ = file.get_u32(key);
        let _ = file.get_u64(key);
        let _ = file.get_f32(key);
        let _ = file.get_bool(key);
        let _ = file.get_str_array(key);
        let _ = file.get_i32_array(key);
        let _ = file.get_f32_array(key);
    }
    let _ = file.architecture();
    let data_offset = file.data_offset();
    for t in file.tensors() {
        assert_eq!(file.tensor(&t.name), Some(t));
        assert_eq!(file.tensor_data(t).len() as u64, t.n_bytes);
        assert!(t.offset >= data_offset && (t.offset - data_offset) % file.alignment() == 0);
        assert_eq!(t.row_bytes() * t.n_rows(), t.n_bytes);
    }
});
