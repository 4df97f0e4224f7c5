//! Tokenizers built from GGUF metadata, streaming detokenization and chat templates, matching llama.cpp.
//!
//! - [`Tokenizer`]: byte-level BPE (`tokenizer.ggml.model = gpt2`, with the pre-tokenizer named by
//!   `tokenizer.ggml.pre`) and SentencePiece-style BPE (`llama`), with llama.cpp's special-token rules
//!   (control / user-defined / unknown tokens, BOS/EOS flags, end-of-generation set). Build it from a GGUF
//!   file ([`Tokenizer::from_gguf`]) or from plain data ([`TokenizerSpec`]).
//! - [`StreamDecoder`]: token ids to text while generating, never splitting a UTF-8 character.
//! - [`ChatTemplate`]: the model's Jinja chat template rendered with minijinja, as llama.cpp renders it.
//!
//! ```
//! use vibrant_tokenizer::{Tokenizer, TokenizerSpec};
//!
//! // A tiny byte-level BPE vocabulary: "a", "b" and the merge "a b" -> "ab".
//! let spec = TokenizerSpec {
//!     model: "gpt2".into(),
//!     pre: Some("gpt-2".into()),
//!     tokens: vec!["a".into(), "b".into(), "ab".into()],
//!     merges: vec!["a b".into()],
//!     ..Default::default()
//! };
//! let tok = Tokenizer::from_spec(spec)?;
//! assert_eq!(tok.encode("abab", false, false)?, vec![2, 2]);
//! assert_eq!(tok.decode(&[2, 0], false), "aba");
//! # Ok::<(), vibrant_tokenizer::TokenizerError>(())
//! ```

mod error;
mod gguf;
mod pretok;
mod stream;
mod template;
mod tokenizer;
mod vocab;

pub use error::TokenizerError;
pub use stream::StreamDecoder;
pub use template::{CHATML_TEMPLATE, ChatMessage, ChatTemplate, TEMPLATE_FUEL};
pub use tokenizer::{Tokenizer, TokenizerSpec};
