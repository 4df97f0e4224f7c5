//! The ggml tensor element types that can appear in a GGUF file, with their block layouts.

use std::fmt;

macro_rules! ggml_types {
    ($( $(#[$doc:meta])* $variant:ident = $id:literal, $name:literal, $lower:literal, $block:literal, $size:literal; )*) => {
        /// A ggml tensor type: how the elements of a tensor are stored.
        ///
        /// Quantized types store elements in blocks of [`block_size`](Self::block_size) elements taking
        /// [`type_size`](Self::type_size) bytes each. The ids, block sizes and type sizes are those of
        /// `ggml.h` / `ggml.c` (`type_traits`); ids that ggml removed (4, 5, 31–33, 36–38) are unknown here.
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u32)]
        pub enum GgmlType {
            $( $(#[$doc])* $variant = $id, )*
        }

        impl GgmlType {
            /// Every known type, in id order.
            pub const ALL: &'static [GgmlType] = &[$(GgmlType::$variant),*];

            /// The type with this ggml id, if it is one we know.
            pub fn from_id(id: u32) -> Option<Self> {
                match id {
                    $( $id => Some(GgmlType::$variant), )*
                    _ => None,
                }
            }

            /// The type with this name (`"Q4_K"`, case-insensitive, so ggml's `"q4_K"` works too).
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|t| t.name().eq_ignore_ascii_case(name))
            }

            /// The ggml id stored in GGUF tensor infos.
            pub fn id(self) -> u32 {
                self as u32
            }

            /// The conventional upper-case name (`"Q4_K"`, `"F16"`, `"IQ2_XXS"`), as gguf-py and
            /// llama.cpp's file-type strings write it.
            pub fn name(self) -> &'static str {
                match self {
                    $( GgmlType::$variant => $name, )*
                }
            }

            /// The name as ggml's `ggml_type_name` returns it (`"q4_K"`, `"f16"`, `"iq2_xxs"`).
            pub fn ggml_name(self) -> &'static str {
                match self {
                    $( GgmlType::$variant => $lower, )*
                }
            }

            /// Elements per block (1 for the plain float and integer types).
            pub fn block_size(self) -> u64 {
                match self {
                    $( GgmlType::$variant => $block, )*
                }
            }

            /// Bytes per block.
            pub fn type_size(self) -> u64 {
                match self {
                    $( GgmlType::$variant => $size, )*
                }
            }
        }
    };
}

ggml_types! {
    /// 32-bit IEEE float.
    F32 = 0, "F32", "f32", 1, 4;
    /// 16-bit IEEE half float.
    F16 = 1, "F16", "f16", 1, 2;
    Q4_0 = 2, "Q4_0", "q4_0", 32, 18;
    Q4_1 = 3, "Q4_1", "q4_1", 32, 20;
    Q5_0 = 6, "Q5_0", "q5_0", 32, 22;
    Q5_1 = 7, "Q5_1", "q5_1", 32, 24;
    Q8_0 = 8, "Q8_0", "q8_0", 32, 34;
    Q8_1 = 9, "Q8_1", "q8_1", 32, 36;
    Q2_K = 10, "Q2_K", "q2_K", 256, 84;
    Q3_K = 11, "Q3_K", "q3_K", 256, 110;
    Q4_K = 12, "Q4_K", "q4_K", 256, 144;
    Q5_K = 13, "Q5_K", "q5_K", 256, 176;
    Q6_K = 14, "Q6_K", "q6_K", 256, 210;
    Q8_K = 15, "Q8_K", "q8_K", 256, 292;
    IQ2_XXS = 16, "IQ2_XXS", "iq2_xxs", 256, 66;
    IQ2_XS = 17, "IQ2_XS", "iq2_xs", 256, 74;
    IQ3_XXS = 18, "IQ3_XXS", "iq3_xxs", 256, 98;
    IQ1_S = 19, "IQ1_S", "iq1_s", 256, 50;
    IQ4_NL = 20, "IQ4_NL", "iq4_nl", 32, 18;
    IQ3_S = 21, "IQ3_S", "iq3_s", 256, 110;
    IQ2_S = 22, "IQ2_S", "iq2_s", 256, 82;
    IQ4_XS = 23, "IQ4_XS", "iq4_xs", 256, 136;
    I8 = 24, "I8", "i8", 1, 1;
    I16 = 25, "I16", "i16", 1, 2;
    I32 = 26, "I32", "i32", 1, 4;
    I64 = 27, "I64", "i64", 1, 8;
    F64 = 28, "F64", "f64", 1, 8;
    IQ1_M = 29, "IQ1_M", "iq1_m", 256, 56;
    /// bfloat16.
    BF16 = 30, "BF16", "bf16", 1, 2;
    TQ1_0 = 34, "TQ1_0", "tq1_0", 256, 54;
    TQ2_0 = 35, "TQ2_0", "tq2_0", 256, 66;
    MXFP4 = 39, "MXFP4", "mxfp4", 32, 17;
    NVFP4 = 40, "NVFP4", "nvfp4", 64, 36;
    Q1_0 = 41, "Q1_0", "q1_0", 128, 18;
}

impl GgmlType {
    /// Whether elements are stored in multi-element quantized blocks.
    pub fn is_quantized(self) -> bool {
        self.block_size() > 1
    }

    /// Bytes taken by a row of `n` elements, or `None` when `n` is not a multiple of the block size
    /// or the size overflows `u64`.
    pub fn row_bytes(self, n: u64) -> Option<u64> {
        let block = self.block_size();
        if !n.is_multiple_of(block) {
            return None;
        }
        (n / block).checked_mul(self.type_size())
    }
}

impl fmt::Display for GgmlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_unknown_ids_are_rejected() {
        for &t in GgmlType::ALL {
            assert_eq!(GgmlType::from_id(t.id()), Some(t));
            assert_eq!(GgmlType::from_name(t.name()), Some(t));
            assert_eq!(GgmlType::from_name(t.ggml_name()), Some(t));
            assert!(t.type_size() > 0 && t.block_size() > 0);
        }
        for removed in [4, 5, 31, 32, 33, 36, 37, 38, 42, 1000, u32::MAX] {
            assert_eq!(GgmlType::from_id(removed), None, "id {removed}");
        }
    }

    #[test]
    fn row_bytes_matches_ggml() {
        assert_eq!(GgmlType::F32.row_bytes(7), Some(28));
        assert_eq!(GgmlType::Q4_0.row_bytes(64), Some(36));
        assert_eq!(GgmlType::Q4_K.row_bytes(1536), Some(6 * 144));
        assert_eq!(GgmlType::Q4_K.row_bytes(100), None);
        assert_eq!(GgmlType::F64.row_bytes(u64::MAX), None);
        assert_eq!(GgmlType::Q6_K.to_string(), "Q6_K");
        assert_eq!(GgmlType::Q6_K.ggml_name(), "q6_K");
    }
}
