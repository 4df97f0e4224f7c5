//! The quantization of a model file, as llama.cpp names it: from `general.file_type`, else from
//! the tensor type that holds most of the weights.

use crate::GgufFile;

/// The bit llama.cpp sets in `general.file_type` when it guessed the type from the tensors.
const FILE_TYPE_GUESSED: u32 = 1024;

/// The name llama.cpp gives a `general.file_type` value (`llama_ftype`: `15` → `Q4_K_M`), or
/// `None` for a value it does not (or no longer) define.
pub fn file_type_name(file_type: u32) -> Option<&'static str> {
    Some(match file_type & !FILE_TYPE_GUESSED {
        0 => "F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        7 => "Q8_0",
        8 => "Q5_0",
        9 => "Q5_1",
        10 => "Q2_K",
        11 => "Q3_K_S",
        12 => "Q3_K_M",
        13 => "Q3_K_L",
        14 => "Q4_K_S",
        15 => "Q4_K_M",
        16 => "Q5_K_S",
        17 => "Q5_K_M",
        18 => "Q6_K",
        19 => "IQ2_XXS",
        20 => "IQ2_XS",
        21 => "Q2_K_S",
        22 => "IQ3_XS",
        23 => "IQ3_XXS",
        24 => "IQ1_S",
        25 => "IQ4_NL",
        26 => "IQ3_S",
        27 => "IQ3_M",
        28 => "IQ2_S",
        29 => "IQ2_M",
        30 => "IQ4_XS",
        31 => "IQ1_M",
        32 => "BF16",
        36 => "TQ1_0",
        37 => "TQ2_0",
        _ => return None,
    })
}

impl GgufFile {
    /// The file's quantization: the name of its `general.file_type` (`Q4_K_M`) when it has a
    /// known one, else the type holding the most bytes among its matrices (tensors of two or more
    /// dimensions; `Q4_K`), else `None` (no tensors, as in the first part of some split files).
    pub fn quantization(&self) -> Option<String> {
        if let Some(name) = self
            .get_u32("general.file_type")
            .ok()
            .flatten()
            .and_then(file_type_name)
        {
            return Some(name.to_owned());
        }
        let mut bytes: std::collections::BTreeMap<&str, u64> = Default::default();
        for t in self.tensors().iter().filter(|t| t.dims.len() >= 2) {
            let total = bytes.entry(t.ggml_type.name()).or_default();
            *total = total.saturating_add(t.n_bytes);
        }
        bytes
            .into_iter()
            .max_by_key(|&(_, b)| b)
            .map(|(name, _)| name.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GgmlType;
    use crate::writer::GgufWriter;

    fn file(w: &GgufWriter) -> GgufFile {
        GgufFile::from_bytes(w.to_bytes().expect("valid file")).expect("parses")
    }

    #[test]
    fn file_type_names_match_llama_cpp() {
        assert_eq!(file_type_name(15), Some("Q4_K_M"));
        assert_eq!(file_type_name(3), Some("Q4_1"));
        assert_eq!(file_type_name(1), Some("F16"));
        assert_eq!(file_type_name(15 | FILE_TYPE_GUESSED), Some("Q4_K_M"));
        assert_eq!(file_type_name(4), None); // Q4_1_SOME_F16, removed from llama.cpp
        assert_eq!(file_type_name(9999), None);
    }

    #[test]
    fn the_file_type_wins_over_the_tensors() {
        let mut w = GgufWriter::new();
        w.metadata("general.architecture", "llama")
            .metadata("general.file_type", 15u32)
            .tensor(
                "blk.0.ffn_up.weight",
                GgmlType::Q8_0,
                &[32, 4],
                vec![0; 4 * 34],
            );
        assert_eq!(file(&w).quantization().as_deref(), Some("Q4_K_M"));
    }

    #[test]
    fn without_a_file_type_the_matrices_holding_most_bytes_decide() {
        let mut w = GgufWriter::new();
        w.metadata("general.architecture", "llama")
            // Vectors (norms) in F32 take more bytes here but are not weights matrices.
            .tensor(
                "output_norm.weight",
                GgmlType::F32,
                &[4096],
                vec![0; 4 * 4096],
            )
            .tensor(
                "blk.0.ffn_up.weight",
                GgmlType::Q8_0,
                &[32, 4],
                vec![0; 4 * 34],
            )
            .tensor(
                "blk.0.ffn_down.weight",
                GgmlType::Q4_0,
                &[32, 2],
                vec![0; 2 * 18],
            );
        assert_eq!(file(&w).quantization().as_deref(), Some("Q8_0"));

        // An unknown file type falls back to the tensors too.
        w.metadata("general.file_type", 9999u32);
        assert_eq!(file(&w).quantization().as_deref(), Some("Q8_0"));
    }

    #[test]
    fn no_tensors_and_no_file_type_is_unknown() {
        let mut w = GgufWriter::new();
        w.metadata("general.architecture", "llama");
        assert_eq!(file(&w).quantization(), None);
    }
}
