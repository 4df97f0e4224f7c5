//! The weight and activation formats, with ggml's block sizes.

/// Elements per K-quant super-block (ggml's `QK_K`).
pub const QK_K: usize = 256;

/// How a weight tensor is stored: one of ggml's types this engine supports.
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WeightFormat {
    F32,
    F16,
    BF16,
    Q4_0,
    Q4_1,
    Q5_0,
    Q5_1,
    Q8_0,
    Q2K,
    Q3K,
    Q4K,
    Q5K,
    Q6K,
}

impl WeightFormat {
    /// Every format, in declaration order.
    pub const ALL: [WeightFormat; 13] = [
        Self::F32,
        Self::F16,
        Self::BF16,
        Self::Q4_0,
        Self::Q4_1,
        Self::Q5_0,
        Self::Q5_1,
        Self::Q8_0,
        Self::Q2K,
        Self::Q3K,
        Self::Q4K,
        Self::Q5K,
        Self::Q6K,
    ];

    /// Elements per block: 1 for the float formats, 32, or 256 for the K-quants.
    pub const fn block_len(self) -> usize {
        match self {
            Self::F32 | Self::F16 | Self::BF16 => 1,
            Self::Q4_0 | Self::Q4_1 | Self::Q5_0 | Self::Q5_1 | Self::Q8_0 => 32,
            Self::Q2K | Self::Q3K | Self::Q4K | Self::Q5K | Self::Q6K => QK_K,
        }
    }

    /// Bytes per block.
    pub const fn block_bytes(self) -> usize {
        match self {
            Self::F32 => 4,
            Self::F16 | Self::BF16 => 2,
            Self::Q4_0 => 18,
            Self::Q4_1 => 20,
            Self::Q5_0 => 22,
            Self::Q5_1 => 24,
            Self::Q8_0 => 34,
            Self::Q2K => 84,
            Self::Q3K => 110,
            Self::Q4K => 144,
            Self::Q5K => 176,
            Self::Q6K => 210,
        }
    }

    /// Bytes of a row of `n` elements. Panics if `n` is not a multiple of [`Self::block_len`].
    pub fn row_bytes(self, n: usize) -> usize {
        assert!(
            n.is_multiple_of(self.block_len()),
            "a {} row of {n} elements is not a whole number of {}-element blocks",
            self.name(),
            self.block_len()
        );
        n / self.block_len() * self.block_bytes()
    }

    /// What activations are quantized to before [`crate::dot`] (ggml's `vec_dot_type`); the float formats
    /// take `F32` activations.
    pub fn act_format(self) -> ActFormat {
        match self {
            Self::F32 | Self::F16 | Self::BF16 => ActFormat::F32,
            Self::Q4_0 | Self::Q5_0 | Self::Q8_0 => ActFormat::Q8_0,
            Self::Q4_1 | Self::Q5_1 => ActFormat::Q8_1,
            Self::Q2K | Self::Q3K | Self::Q4K | Self::Q5K | Self::Q6K => ActFormat::Q8K,
        }
    }

    /// ggml's name of the type (`"Q4_K"`, `"F16"`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::F32 => "F32",
            Self::F16 => "F16",
            Self::BF16 => "BF16",
            Self::Q4_0 => "Q4_0",
            Self::Q4_1 => "Q4_1",
            Self::Q5_0 => "Q5_0",
            Self::Q5_1 => "Q5_1",
            Self::Q8_0 => "Q8_0",
            Self::Q2K => "Q2_K",
            Self::Q3K => "Q3_K",
            Self::Q4K => "Q4_K",
            Self::Q5K => "Q5_K",
            Self::Q6K => "Q6_K",
        }
    }
}

impl std::fmt::Display for WeightFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The format activations are quantized to for [`crate::dot`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActFormat {
    /// Plain little-endian `f32` (for `F32`/`F16`/`BF16` weights).
    F32,
    /// 32 elements: `d: f16`, `qs: [i8; 32]` (34 bytes).
    Q8_0,
    /// 32 elements: `d: f16`, `s: f16` (= d · Σqs), `qs: [i8; 32]` (36 bytes).
    Q8_1,
    /// 256 elements: `d: f32`, `qs: [i8; 256]`, `bsums: [i16; 16]` (sums of 16 quants; 292 bytes).
    Q8K,
}

impl ActFormat {
    /// Elements per block.
    pub const fn block_len(self) -> usize {
        match self {
            Self::F32 => 1,
            Self::Q8_0 | Self::Q8_1 => 32,
            Self::Q8K => QK_K,
        }
    }

    /// Bytes per block.
    pub const fn block_bytes(self) -> usize {
        match self {
            Self::F32 => 4,
            Self::Q8_0 => 34,
            Self::Q8_1 => 36,
            Self::Q8K => 292,
        }
    }

    /// Bytes of a row of `n` elements. Panics if `n` is not a multiple of [`Self::block_len`].
    pub fn row_bytes(self, n: usize) -> usize {
        assert!(
            n.is_multiple_of(self.block_len()),
            "a {} activation row of {n} elements is not a whole number of {}-element blocks",
            self.name(),
            self.block_len()
        );
        n / self.block_len() * self.block_bytes()
    }

    /// ggml's name of the type.
    pub fn name(self) -> &'static str {
        match self {
            Self::F32 => "F32",
            Self::Q8_0 => "Q8_0",
            Self::Q8_1 => "Q8_1",
            Self::Q8K => "Q8_K",
        }
    }
}

impl std::fmt::Display for ActFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
