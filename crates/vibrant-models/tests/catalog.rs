//! The built-in catalog parses, covers the plan's families, and resolves the documented names.
#![allow(clippy::unwrap_used)]

use vibrant_models::{Catalog, ModelError};

#[test]
fn builtin_catalog_covers_the_plans_families() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/catalog.toml")).unwrap();
    let cat = Catalog::from_toml(&text, "catalog.toml").unwrap();
    let names: Vec<&str> = cat.models().iter().map(|m| m.name.as_str()).collect();
    for want in [
        "qwen2.5-coder-0.5b-instruct",
        "qwen2.5-coder-1.5b-instruct",
        "qwen2.5-coder-3b-instruct",
        "qwen2.5-coder-7b-instruct",
        "qwen2.5-coder-14b-instruct",
        "qwen2.5-coder-32b-instruct",
        "deepseek-coder-1.3b-instruct",
        "deepseek-coder-6.7b-instruct",
        "codellama-7b-instruct",
        "codellama-13b-instruct",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    for m in cat.models() {
        for q in ["Q4_K_M", "Q5_K_M", "Q8_0"] {
            let entry = m
                .quant(q)
                .unwrap_or_else(|| panic!("{} has no {q}", m.name));
            assert!(entry.size > 100_000_000, "{} {q}", m.name);
            assert!(entry.files.iter().all(|f| f.ends_with(".gguf")));
        }
        // Sizes grow with the quantization.
        assert!(
            m.quant("Q4_K_M").unwrap().size < m.quant("Q8_0").unwrap().size,
            "{}",
            m.name
        );
    }
    assert!(cat.picks().filter(|p| p.quant.verified).count() >= 10);
    assert_eq!(Catalog::builtin().models().len(), cat.models().len());
}

#[test]
fn names_aliases_and_quants_resolve() {
    let cat = Catalog::builtin();
    let id = |r: &str| cat.lookup(r).unwrap().map(|p| p.id());
    assert_eq!(
        id("qwen2.5-coder:1.5b").as_deref(),
        Some("qwen2.5-coder-1.5b-instruct:q4_k_m")
    );
    assert_eq!(
        id("qwen2.5-coder-1.5b-instruct:q4_k_m").as_deref(),
        Some("qwen2.5-coder-1.5b-instruct:q4_k_m")
    );
    assert_eq!(
        id("Qwen2.5-Coder-7B-Instruct:Q8_0").as_deref(),
        Some("qwen2.5-coder-7b-instruct:q8_0")
    );
    assert_eq!(
        id("qwen2.5-coder:7b-q5_k_m").as_deref(),
        Some("qwen2.5-coder-7b-instruct:q5_k_m")
    );
    assert_eq!(
        id("codellama:13b").as_deref(),
        Some("codellama-13b-instruct:q4_k_m")
    );
    assert_eq!(id("no-such-model"), None);
    let err = cat.lookup("qwen2.5-coder:7b-q2_k").unwrap_err();
    assert!(matches!(err, ModelError::UnknownQuant { .. }));
    assert!(err.to_string().contains("Q4_K_M, Q5_K_M, Q8_0"), "{err}");
    assert!(cat.suggest("qwen").contains(&"qwen2.5-coder:7b".to_owned()));
}

#[test]
fn malformed_catalogs_are_rejected_with_the_reason() {
    let err = Catalog::from_toml("schema = 2\nmodel = []", "x.toml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("x.toml") && err.contains("schema 2"), "{err}");
    let bad_sha = r#"schema = 1
[[model]]
name = "m"
family = "f"
params = "1B"
repo = "o/r"
context_length = 1
quality_rank = 1
arch = { layers = 1, kv_heads = 1, head_dim = 1, embedding = 1, vocab = 1 }
[[model.quant]]
quant = "Q4_K_M"
files = ["m.gguf"]
size = 1
sha256 = "abc"
"#;
    let err = Catalog::from_toml(bad_sha, "y.toml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("not 64 hex digits"), "{err}");
    let err = Catalog::from_toml(
        &bad_sha.replace("name = \"m\"", "name = \"m\"\ncolour = 1"),
        "z",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("colour"), "{err}");
}
