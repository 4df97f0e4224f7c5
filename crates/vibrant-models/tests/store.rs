//! The local store: Ollama-style and HF-cache-style folders built in the test (pointing at the real
//! SmolLM2 GGUF) are listed and open in place; import, default, rm and resolution rules.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{SMOL, SMOL_LEN, SMOL_SHA};
use vibrant_models::{Location, ModelError, Resolution, Store};

#[cfg(unix)]
fn link(target: &Path, at: &Path) {
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, at).unwrap();
}

#[cfg(not(unix))]
fn link(target: &Path, at: &Path) {
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    std::fs::copy(target, at).unwrap();
}

/// An Ollama store with one model whose blob is (a link to) SmolLM2, plus a non-model layer.
fn ollama_store(root: &Path) -> PathBuf {
    let blob = root.join("blobs").join(format!("sha256-{SMOL_SHA}"));
    link(&vibrant_testutil::model_path(SMOL), &blob);
    std::fs::write(root.join("blobs").join("sha256-template"), "{{ .Prompt }}").unwrap();
    let manifest = root.join("manifests/registry.ollama.ai/library/smollm2/135m-q4_1");
    std::fs::create_dir_all(manifest.parent().unwrap()).unwrap();
    std::fs::write(
        &manifest,
        format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
               "config":{{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:cfg","size":1}},
               "layers":[{{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:{SMOL_SHA}","size":{SMOL_LEN}}},
                         {{"mediaType":"application/vnd.ollama.image.template","digest":"sha256-template","size":14}}]}}"#
        ),
    )
    .unwrap();
    // A manifest pointing at a missing blob is skipped.
    let broken = root.join("manifests/registry.ollama.ai/library/gone/latest");
    std::fs::create_dir_all(broken.parent().unwrap()).unwrap();
    std::fs::write(&broken, r#"{"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:00","size":1}]}"#).unwrap();
    blob
}

/// A Hugging Face hub cache with SmolLM2 as a snapshot symlink into blobs/.
fn hf_cache(root: &Path) -> PathBuf {
    let repo = root.join("models--HuggingFaceTB--SmolLM2-135M-Instruct-GGUF");
    let blob = repo.join("blobs").join(SMOL_SHA);
    link(&vibrant_testutil::model_path(SMOL), &blob);
    let snap = repo.join("snapshots/0123abcd/smollm2-135m-instruct-q4_1.gguf");
    link(&blob, &snap);
    std::fs::create_dir_all(repo.join("refs")).unwrap();
    std::fs::write(repo.join("refs/main"), "0123abcd").unwrap();
    snap
}

fn store(root: &Path, ollama: Option<PathBuf>, hf: Option<PathBuf>) -> Store {
    Store::new(root).with_ollama_dir(ollama).with_hf_cache(hf)
}

#[test]
fn ollama_models_are_listed_and_open_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let blob = ollama_store(&tmp.path().join("ollama"));
    let s = store(
        &tmp.path().join("store"),
        Some(tmp.path().join("ollama")),
        None,
    );
    let list = s.list().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    let m = &list[0];
    assert_eq!(m.name, "ollama/smollm2:135m-q4_1");
    assert_eq!(m.location, Location::Ollama);
    assert_eq!(m.quant.as_deref(), Some("Q4_1"));
    assert_eq!(m.size, SMOL_LEN);
    assert_eq!(m.paths, vec![blob.clone()], "used in place, not copied");
    assert!(!tmp.path().join("store").exists(), "listing writes nothing");

    let Some(Resolution::Local(r)) = s.resolve_offline("ollama/smollm2:135m-q4_1").unwrap() else {
        panic!()
    };
    let gguf = vibrant_gguf::GgufFile::open(r.path()).unwrap();
    assert_eq!(gguf.architecture().unwrap(), "llama");
    assert!(gguf.tensors().len() > 100);

    let err = s.remove("ollama/smollm2:135m-q4_1").unwrap_err();
    assert!(matches!(err, ModelError::ReadOnly { .. }), "{err}");
    assert!(err.to_string().contains("Ollama"), "{err}");
    assert!(blob.exists());
}

#[test]
fn hf_cache_models_are_listed_and_open_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = hf_cache(&tmp.path().join("hub"));
    let s = store(
        &tmp.path().join("store"),
        None,
        Some(tmp.path().join("hub")),
    );
    let list = s.list().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(
        list[0].name,
        "hf.co/HuggingFaceTB/SmolLM2-135M-Instruct-GGUF:Q4_1"
    );
    assert_eq!(list[0].location, Location::HfCache);
    assert_eq!(list[0].paths, vec![snap]);
    assert_eq!(list[0].size, SMOL_LEN);
    // The Hub-style reference resolves to the cached file without any network.
    let Some(Resolution::Local(r)) = s
        .resolve_offline("hf.co/HuggingFaceTB/SmolLM2-135M-Instruct-GGUF:q4_1")
        .unwrap()
    else {
        panic!()
    };
    let gguf = vibrant_gguf::GgufFile::open(r.path()).unwrap();
    assert_eq!(gguf.architecture().unwrap(), "llama");
    assert_eq!(vibrant_models::sha256_file(r.path()).unwrap(), SMOL_SHA);
}

#[test]
fn import_records_in_place_and_rm_keeps_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("mine");
    let file = dir.join("smol.gguf");
    link(&vibrant_testutil::model_path(SMOL), &file);
    let s = store(&tmp.path().join("store"), None, None);
    let m = s.import(&file, Some("my-smol")).unwrap();
    assert_eq!(m.location, Location::Imported);
    let listed = s.list().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "my-smol");
    assert_eq!(listed[0].paths[0], std::fs::canonicalize(&file).unwrap());
    // Only the manifest was written to the store; no model bytes were copied.
    let store_files: Vec<_> = std::fs::read_dir(tmp.path().join("store"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    assert_eq!(store_files, ["manifest.json"]);

    assert_eq!(s.set_default("my-smol").unwrap(), "my-smol");
    assert_eq!(s.default_model().unwrap().as_deref(), Some("my-smol"));
    let removed = s.remove("my-smol").unwrap();
    assert!(removed.was_default);
    assert_eq!(removed.kept.len(), 1);
    assert!(removed.deleted.is_empty());
    assert!(file.exists(), "an imported file is never deleted");
    assert_eq!(s.default_model().unwrap(), None);
    assert!(matches!(
        s.remove("my-smol").unwrap_err(),
        ModelError::NotInstalled { .. }
    ));
}

#[test]
fn quantization_comes_from_the_header_when_the_name_lacks_it() {
    let tmp = tempfile::tempdir().unwrap();
    let mine = tmp.path().join("mine");
    // Names without a quantization: SmolLM2 (general.file_type Q4_1) imported, the AWQ Qwen
    // (general.file_type Q4_K_M, though most of its bytes are Q5_0) found on a search path.
    let smol = mine.join("smol.gguf");
    link(&vibrant_testutil::model_path(SMOL), &smol);
    let shared = tmp.path().join("team-models");
    link(
        &vibrant_testutil::model_path("qwen2.5-coder-0.5b-instruct-awq-mixed"),
        &shared.join("qwen-coder.gguf"),
    );
    let s = store(&tmp.path().join("store"), None, None).with_search_paths(vec![shared]);
    s.import(&smol, Some("my-smol")).unwrap();
    let list = s.list().unwrap();
    let quants: Vec<(&str, Option<&str>)> = list
        .iter()
        .map(|m| (m.name.as_str(), m.quant.as_deref()))
        .collect();
    assert_eq!(
        quants,
        [("my-smol", Some("Q4_1")), ("qwen-coder", Some("Q4_K_M"))]
    );
}

#[test]
fn import_rejects_files_that_are_not_gguf() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("notes.gguf");
    std::fs::write(&bad, "hello").unwrap();
    let err = store(&tmp.path().join("store"), None, None)
        .import(&bad, None)
        .unwrap_err();
    assert!(matches!(err, ModelError::NotGguf { .. }), "{err}");
}

#[test]
fn search_paths_and_split_parts_are_found() {
    let tmp = tempfile::tempdir().unwrap();
    let shared = tmp.path().join("team-models");
    std::fs::create_dir_all(shared.join("sub")).unwrap();
    for i in 1..=2 {
        common::fake_gguf(
            &shared.join(format!("sub/big-Q8_0-0000{i}-of-00002.gguf")),
            1000,
            i,
        );
    }
    // An incomplete split set is ignored.
    common::fake_gguf(&shared.join("half-00001-of-00002.gguf"), 1000, 9);
    link(
        &vibrant_testutil::model_path(SMOL),
        &shared.join("smol-q4_1.gguf"),
    );
    let s = store(&tmp.path().join("store"), None, None).with_search_paths(vec![shared.clone()]);
    let list = s.list().unwrap();
    let names: Vec<&str> = list.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["big-Q8_0", "smol-q4_1"]);
    assert_eq!(list[0].paths.len(), 2);
    assert!(list[0].paths[0].ends_with("big-Q8_0-00001-of-00002.gguf"));
    assert_eq!(list[0].quant.as_deref(), Some("Q8_0"));
    assert_eq!(list[0].location, Location::SearchPath(shared.clone()));

    // A path to any part resolves to all parts, in order.
    let part2 = shared.join("sub/big-Q8_0-00002-of-00002.gguf");
    let Some(Resolution::Local(r)) = s.resolve_offline(part2.to_str().unwrap()).unwrap() else {
        panic!()
    };
    assert_eq!(r.paths.len(), 2);
    assert!(r.paths[0].ends_with("big-Q8_0-00001-of-00002.gguf"));
}

#[test]
fn catalog_names_resolve_to_a_download_plan_or_a_local_copy() {
    let tmp = tempfile::tempdir().unwrap();
    let s = store(
        &tmp.path().join("store"),
        None,
        Some(tmp.path().join("hub")),
    );
    let Some(Resolution::Remote(r)) = s.resolve_offline("qwen2.5-coder:1.5b").unwrap() else {
        panic!()
    };
    assert_eq!(r.id, "qwen2.5-coder-1.5b-instruct:q4_k_m");
    assert_eq!(r.repo, "bartowski/Qwen2.5-Coder-1.5B-Instruct-GGUF");
    assert_eq!(r.files[0].name, "Qwen2.5-Coder-1.5B-Instruct-Q4_K_M.gguf");
    assert_eq!(r.context_length, Some(32768));

    // The same file already in the HF cache is used in place.
    let cached = tmp
        .path()
        .join("hub/models--bartowski--Qwen2.5-Coder-1.5B-Instruct-GGUF/snapshots/r1/Qwen2.5-Coder-1.5B-Instruct-Q4_K_M.gguf");
    link(&vibrant_testutil::model_path(SMOL), &cached);
    let Some(Resolution::Local(m)) = s.resolve_offline("qwen2.5-coder:1.5b").unwrap() else {
        panic!()
    };
    assert_eq!(m.paths, vec![cached]);
    assert_eq!(
        m.catalog_id.as_deref(),
        Some("qwen2.5-coder-1.5b-instruct:q4_k_m")
    );

    // Unknown names say what to type instead.
    let err = s.resolve_offline("qwen9-coder").unwrap_err().to_string();
    assert!(
        err.contains("did you mean") && err.contains("hf.co/OWNER/REPO:QUANT"),
        "{err}"
    );
    let err = s
        .resolve_offline("/nowhere/model.gguf")
        .unwrap_err()
        .to_string();
    assert!(err.contains("/nowhere/model.gguf"), "{err}");
}
