//! The first-run flow: select for this machine, ask before downloading, remember the choice.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use common::{HubServer, SMOL_SHA};
use vibrant_models::{
    Catalog, DownloadOptions, Downloader, HubConfig, MachineFacts, ModelError, Origin, Store,
    ensure_model_in,
};

const CATALOG: &str = r#"schema = 1

[[model]]
name = "smol-instruct"
aliases = ["smol:135m"]
family = "smol"
params = "135M"
repo = "test-org/SmolLM2-GGUF"
context_length = 8192
quality_rank = 10
auto = true
arch = { layers = 30, kv_heads = 3, head_dim = 64, embedding = 576, vocab = 49152 }

[[model.quant]]
quant = "Q4_1"
files = ["SmolLM2-135M-Instruct.Q4_1.gguf"]
size = 98_362_432
sha256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
verified = true

[[model]]
name = "huge-instruct"
aliases = ["huge:1t"]
family = "huge"
params = "1T"
repo = "test-org/Huge-GGUF"
context_length = 8192
quality_rank = 99
auto = true
arch = { layers = 100, kv_heads = 8, head_dim = 128, embedding = 8192, vocab = 50000 }

[[model.quant]]
quant = "Q4_K_M"
files = ["huge.gguf"]
size = 600_000_000_000
"#;

fn setup() -> (HubServer, tempfile::TempDir, Store, Downloader) {
    let server = HubServer::start();
    server.host_smol("test-org/SmolLM2-GGUF", "SmolLM2-135M-Instruct.Q4_1.gguf");
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path())
        .with_catalog(Catalog::from_toml(CATALOG, "test").unwrap())
        .with_ollama_dir(None)
        .with_hf_cache(None);
    let dl = Downloader::new(
        HubConfig::with_endpoint(&server.endpoint),
        DownloadOptions {
            backoff_initial: Duration::from_millis(10),
            ..DownloadOptions::default()
        },
    )
    .unwrap();
    (server, dir, store, dl)
}

const FACTS: MachineFacts = MachineFacts {
    total_memory: 16_000_000_000,
    available_memory: 12_000_000_000,
    cores: 4,
    speed: None,
};

#[test]
fn without_consent_nothing_is_downloaded() {
    let (server, _dir, store, dl) = setup();
    let mut asked = Vec::new();
    let err = ensure_model_in(
        &store,
        &dl,
        None,
        None,
        &FACTS,
        4096,
        &mut |q| {
            asked.push(q.clone());
            false
        },
        &mut |_| {},
        &AtomicBool::new(false),
    )
    .unwrap_err();
    assert!(matches!(err, ModelError::ConsentRequired { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("--yes") && msg.contains("vibrant model pull smol-instruct:q4_1"),
        "{msg}"
    );
    // The big model does not fit; the small one was proposed, with its size and why.
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].model, "smol-instruct:q4_1");
    assert_eq!(asked[0].size, "98.36 MB");
    assert!(asked[0].why.as_deref().unwrap().contains("fits the budget"));
    assert!(server.cdn_log().is_empty());
    assert_eq!(store.default_model().unwrap(), None);
}

#[test]
fn with_consent_it_downloads_remembers_and_reuses() {
    let (server, _dir, store, dl) = setup();
    let (model, origin) = ensure_model_in(
        &store,
        &dl,
        None,
        None,
        &FACTS,
        4096,
        &mut |_| true,
        &mut |_| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    assert_eq!(origin, Origin::Selected);
    assert_eq!(vibrant_models::sha256_file(model.path()).unwrap(), SMOL_SHA);
    assert_eq!(model.catalog_id.as_deref(), Some("smol-instruct:q4_1"));
    assert_eq!(
        store.default_model().unwrap().as_deref(),
        Some("smol-instruct:q4_1")
    );

    // Next run: the remembered default, no question, no download.
    server.wait_idle();
    server.clear_log();
    let (again, origin) = ensure_model_in(
        &store,
        &dl,
        None,
        None,
        &FACTS,
        4096,
        &mut |_| panic!("must not ask again"),
        &mut |_| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    assert_eq!(origin, Origin::StoreDefault);
    assert_eq!(again.paths, model.paths);
    assert!(server.log().is_empty());

    // An explicit reference (a path) and a configured default win, without downloads.
    let (explicit, origin) = ensure_model_in(
        &store,
        &dl,
        Some(model.path().to_str().unwrap()),
        Some("huge:1t"),
        &FACTS,
        4096,
        &mut |_| panic!("must not ask"),
        &mut |_| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    assert_eq!(origin, Origin::Explicit);
    assert_eq!(
        explicit.path(),
        std::fs::canonicalize(model.path()).unwrap()
    );
    let (configured, origin) = ensure_model_in(
        &store,
        &dl,
        None,
        Some("smol:135m"),
        &FACTS,
        4096,
        &mut |_| panic!("must not ask"),
        &mut |_| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    assert_eq!(origin, Origin::Configured);
    assert_eq!(configured.paths, model.paths);
    assert!(server.log().is_empty());
}
