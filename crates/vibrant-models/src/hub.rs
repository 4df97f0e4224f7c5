//! Where models are downloaded from: the Hugging Face Hub or a mirror speaking its protocol.
//!
//! A file is fetched from `{endpoint}/{repo}/resolve/{revision}/{file}`; the Hub answers with a
//! redirect to its CDN whose headers carry `X-Linked-Size` and `X-Linked-ETag` (the sha256 of an
//! LFS file). A repository's files are listed by `{endpoint}/api/models/{repo}/tree/{revision}`.

use serde::Deserialize;

use crate::catalog::is_sha256;
use crate::error::{ModelError, Result};

/// The public Hub.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// How to reach the Hub.
#[derive(Clone, PartialEq, Eq)]
pub struct HubConfig {
    /// Base URL without a trailing slash, e.g. `https://huggingface.co` or a mirror.
    pub endpoint: String,
    /// Bearer token for gated or private repositories (`HF_TOKEN`).
    pub token: Option<String>,
}

impl std::fmt::Debug for HubConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubConfig")
            .field("endpoint", &self.endpoint)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            endpoint: DEFAULT_ENDPOINT.to_owned(),
            token: None,
        }
    }
}

impl HubConfig {
    /// From the environment: `HF_ENDPOINT` (else the public Hub) and `HF_TOKEN` (else
    /// `HUGGING_FACE_HUB_TOKEN`). `configured_endpoint` (config `model.hf_endpoint`) wins over
    /// the environment when set.
    pub fn from_env(configured_endpoint: Option<&str>) -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let endpoint = configured_endpoint
            .map(str::to_owned)
            .filter(|e| !e.trim().is_empty())
            .or_else(|| var("HF_ENDPOINT"))
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned());
        Self {
            endpoint: endpoint.trim().trim_end_matches('/').to_owned(),
            token: var("HF_TOKEN").or_else(|| var("HUGGING_FACE_HUB_TOKEN")),
        }
    }

    /// A config for `endpoint` without a token (tests, mirrors).
    pub fn with_endpoint(endpoint: &str) -> Self {
        Self {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            token: None,
        }
    }

    /// The download URL of `file` in `repo` at `revision`.
    pub fn file_url(&self, repo: &str, revision: &str, file: &str) -> String {
        format!("{}/{repo}/resolve/{revision}/{file}", self.endpoint)
    }

    /// The URL listing the files of `repo` at `revision`.
    pub fn tree_url(&self, repo: &str, revision: &str) -> String {
        format!("{}/api/models/{repo}/tree/{revision}", self.endpoint)
    }

    /// The `Authorization` value to send with a request to `url`, if any: the token goes only to
    /// the endpoint's own origin (never to the CDN a download is redirected to), and only when
    /// that endpoint is https or plain http on this machine (a loopback address or `localhost`),
    /// so that it never crosses a network in clear text.
    pub fn authorization_for(&self, url: &str) -> Option<String> {
        let token = self.token.as_deref()?;
        let endpoint = reqwest::Url::parse(&self.endpoint).ok()?;
        let target = reqwest::Url::parse(url).ok()?;
        (is_private_channel(&endpoint) && endpoint.origin() == target.origin())
            .then(|| format!("Bearer {token}"))
    }

    /// Whether a configured token would be sent to this endpoint at all (see
    /// [`HubConfig::authorization_for`]).
    pub fn sends_token(&self) -> bool {
        self.token.is_some()
            && reqwest::Url::parse(&self.endpoint)
                .ok()
                .is_some_and(|u| is_private_channel(&u))
    }

    /// The host name shown to users (`huggingface.co`).
    pub fn host(&self) -> &str {
        let rest = self
            .endpoint
            .split_once("://")
            .map_or(self.endpoint.as_str(), |(_, r)| r);
        rest.split('/').next().unwrap_or(rest)
    }
}

const NAME_HINT: &str = "a Hub repository id is OWNER/NAME and a file name a relative path inside it; \
     check the reference, the catalog entry or the mirror (HF_ENDPOINT) that listed it";

fn unsafe_name(field: &'static str, value: &str, reason: &'static str) -> ModelError {
    ModelError::UnsafeName {
        field,
        value: value.to_owned(),
        reason,
        hint: NAME_HINT,
    }
}

/// Checks one `/`-separated relative path for anything that could leave the directory it is
/// joined to: empty, `.` or `..` components, a leading `/`, a drive prefix, backslashes and control
/// characters.
fn check_relative(field: &'static str, value: &str) -> Result<()> {
    let fail = |reason| Err(unsafe_name(field, value, reason));
    if value.is_empty() {
        return fail("it is empty");
    }
    if value.chars().any(char::is_control) {
        return fail("it contains a control character");
    }
    if value.contains('\\') {
        return fail("it contains a backslash");
    }
    if value.starts_with('/') || std::path::Path::new(value).is_absolute() {
        return fail("it is an absolute path");
    }
    if value.as_bytes().get(1) == Some(&b':') {
        return fail("it starts with a drive prefix");
    }
    for component in value.split('/') {
        match component {
            ".." => return fail("it has a `..` component"),
            "." => return fail("it has a `.` component"),
            "" => return fail("it has an empty component"),
            _ => {}
        }
    }
    Ok(())
}

/// Checks that `repo` is exactly `OWNER/NAME` with no component that could leave the model store
/// when joined to it.
pub fn check_repo_id(repo: &str) -> Result<()> {
    check_relative("repository id", repo)?;
    if repo.split('/').count() != 2 {
        return Err(unsafe_name(
            "repository id",
            repo,
            "it is not of the form OWNER/NAME",
        ));
    }
    Ok(())
}

/// Checks that `file` is a relative path (inside a repository) that stays inside the directory it
/// is joined to.
pub fn check_file_name(file: &str) -> Result<()> {
    check_relative("file name", file)
}

/// https, or http to this machine: a channel on which a bearer token is not exposed to the
/// network.
fn is_private_channel(url: &reqwest::Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => url.host_str().is_some_and(|h| {
            let h = h.trim_start_matches('[').trim_end_matches(']');
            h.eq_ignore_ascii_case("localhost")
                || h.parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }),
        _ => false,
    }
}

/// One file of a repository listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoFile {
    /// Path inside the repository.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// The sha256 of an LFS file.
    pub sha256: Option<String>,
}

#[derive(Deserialize)]
struct TreeEntry {
    #[serde(rename = "type")]
    kind: String,
    path: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    lfs: Option<LfsInfo>,
}

#[derive(Deserialize)]
struct LfsInfo {
    oid: String,
    #[serde(default)]
    size: Option<u64>,
}

/// Parses the JSON of a `/api/models/{repo}/tree/{revision}` answer.
pub fn parse_tree(json: &str, what: &str) -> Result<Vec<RepoFile>> {
    let entries: Vec<TreeEntry> = serde_json::from_str(json).map_err(|e| ModelError::Json {
        what: what.to_owned(),
        message: e.to_string(),
    })?;
    Ok(entries
        .into_iter()
        .filter(|e| e.kind == "file")
        .map(|e| {
            let sha256 = e
                .lfs
                .as_ref()
                .map(|l| l.oid.clone())
                .filter(|s| is_sha256(s));
            let size = e.lfs.as_ref().and_then(|l| l.size).unwrap_or(e.size);
            RepoFile {
                path: e.path,
                size,
                sha256,
            }
        })
        .collect())
}

/// The split-file pattern `NAME-0000K-of-0000N.gguf`: returns (`NAME`, K, N).
pub fn split_part(file: &str) -> Option<(&str, u32, u32)> {
    let stem = file.strip_suffix(".gguf")?;
    let (rest, total) = stem.rsplit_once("-of-")?;
    let (name, index) = rest.rsplit_once('-')?;
    if index.len() != 5 || total.len() != 5 {
        return None;
    }
    let index: u32 = index.parse().ok()?;
    let total: u32 = total.parse().ok()?;
    (index >= 1 && index <= total).then_some((name, index, total))
}

/// Chooses the GGUF file set of `quant` among a repository's files: a single file whose name
/// contains the quantization (case-insensitive, as a whole `-`/`.`/`_`-delimited token), or all
/// parts of a split model. With `quant` `None`, a repository holding exactly one model is accepted
/// and otherwise `Q4_K_M` is preferred. Parts come back in order.
pub fn pick_files(repo: &str, files: &[RepoFile], quant: Option<&str>) -> Result<Vec<RepoFile>> {
    let ggufs: Vec<&RepoFile> = files.iter().filter(|f| f.path.ends_with(".gguf")).collect();
    // Group into model file sets: a split model's parts form one set.
    let mut sets: Vec<(String, Vec<RepoFile>)> = Vec::new();
    for f in &ggufs {
        let key = match split_part(&f.path) {
            Some((name, _, total)) => format!("{name}#{total}"),
            None => f.path.clone(),
        };
        match sets.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push((*f).clone()),
            None => sets.push((key, vec![(*f).clone()])),
        }
    }
    for (_, v) in &mut sets {
        v.sort_by_key(|f| split_part(&f.path).map_or(0, |(_, i, _)| i));
    }
    // Drop obvious non-models (imatrix data, mmproj projectors).
    sets.retain(|(k, _)| {
        let k = k.to_ascii_lowercase();
        !k.contains("imatrix") && !k.contains("mmproj")
    });
    let available = || {
        let names: Vec<&str> = sets.iter().map(|(_, v)| v[0].path.as_str()).collect();
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        }
    };
    let matches = |q: &str| -> Vec<usize> {
        sets.iter()
            .enumerate()
            .filter(|(_, (k, _))| has_token(k, q))
            .map(|(i, _)| i)
            .collect()
    };
    let chosen = match quant {
        Some(q) => {
            let m = matches(q);
            // Prefer the shortest name: `Q4_K_M` over `Q4_K_M-imat` style variants.
            m.into_iter().min_by_key(|&i| sets[i].0.len())
        }
        None if sets.len() == 1 => Some(0),
        None => matches("q4_k_m")
            .into_iter()
            .min_by_key(|&i| sets[i].0.len()),
    };
    match chosen {
        Some(i) => {
            let set = sets[i].1.clone();
            if let Some((_, _, total)) = split_part(&set[0].path)
                && set.len() as u32 != total
            {
                return Err(ModelError::NoMatchingFile {
                    repo: repo.to_owned(),
                    quant: format!(
                        "{} (only {} of {total} parts listed)",
                        quant.unwrap_or("any"),
                        set.len()
                    ),
                    available: available(),
                });
            }
            Ok(set)
        }
        None => Err(ModelError::NoMatchingFile {
            repo: repo.to_owned(),
            quant: quant
                .unwrap_or("any (several models; add :QUANT)")
                .to_owned(),
            available: available(),
        }),
    }
}

/// Whether `name` contains `token` delimited by non-alphanumeric characters (case-insensitive).
pub(crate) fn has_token(name: &str, token: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let token = token.to_ascii_lowercase();
    let bytes = name.as_bytes();
    let mut start = 0;
    while let Some(pos) = name[start..].find(&token) {
        let at = start + pos;
        let end = at + token.len();
        let before_ok = at == 0 || !bytes[at - 1].is_ascii_alphanumeric();
        let after_ok = end == bytes.len() || !bytes[end].is_ascii_alphanumeric();
        if before_ok && after_ok {
            return true;
        }
        start = at + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(path: &str) -> RepoFile {
        RepoFile {
            path: path.to_owned(),
            size: 1,
            sha256: None,
        }
    }

    #[test]
    fn split_names_parse() {
        assert_eq!(
            split_part("m-q8_0-00002-of-00003.gguf"),
            Some(("m-q8_0", 2, 3))
        );
        assert_eq!(split_part("m-q8_0.gguf"), None);
        assert_eq!(split_part("m-00004-of-00003.gguf"), None);
    }

    #[test]
    fn picks_quant_and_split_parts_in_order() {
        let files = [
            f("README.md"),
            f("m-Q4_K_M.gguf"),
            f("m-Q4_K_M_L.gguf"),
            f("m-Q8_0-00002-of-00002.gguf"),
            f("m-Q8_0-00001-of-00002.gguf"),
        ];
        let one = pick_files("o/r", &files, Some("q4_k_m")).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].path, "m-Q4_K_M.gguf");
        let split = pick_files("o/r", &files, Some("Q8_0")).unwrap();
        let names: Vec<_> = split.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            names,
            ["m-Q8_0-00001-of-00002.gguf", "m-Q8_0-00002-of-00002.gguf"]
        );
        let err = pick_files("o/r", &files, Some("Q6_K"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Q6_K") && err.contains("m-Q4_K_M.gguf"),
            "{err}"
        );
    }

    #[test]
    fn missing_split_part_is_an_error() {
        let files = [
            f("m-Q8_0-00001-of-00003.gguf"),
            f("m-Q8_0-00003-of-00003.gguf"),
        ];
        let err = pick_files("o/r", &files, Some("q8_0"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("only 2 of 3 parts"), "{err}");
    }

    #[test]
    fn tree_json_parses_lfs_sha() {
        let json = r#"[{"type":"directory","path":"d","size":0},
            {"type":"file","path":"a.gguf","size":134,"lfs":{"oid":"b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53","size":98362432,"pointerSize":134}},
            {"type":"file","path":"README.md","size":10,"oid":"abc"}]"#;
        let files = parse_tree(json, "test").unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].size, 98362432);
        assert!(files[0].sha256.is_some());
        assert_eq!(files[1].sha256, None);
    }

    fn with_token(endpoint: &str) -> HubConfig {
        HubConfig {
            endpoint: endpoint.to_owned(),
            token: Some("secret".to_owned()),
        }
    }

    #[test]
    fn the_token_never_goes_over_plain_http_to_another_machine() {
        for endpoint in [
            "http://hub.example.com",
            "http://10.0.0.7:8080",
            "http://[2001:db8::1]:80",
        ] {
            let hub = with_token(endpoint);
            let url = hub.file_url("o/r", "main", "m.gguf");
            assert_eq!(hub.authorization_for(&url), None, "{url}");
            assert_eq!(hub.authorization_for(&hub.tree_url("o/r", "main")), None);
            assert!(!hub.sends_token(), "{endpoint}");
        }
    }

    #[test]
    fn the_token_goes_over_https_and_to_loopback_http_only_to_the_hub_origin() {
        for endpoint in [
            "https://huggingface.co",
            "https://mirror.example.com/hf",
            "http://127.0.0.1:9",
            "http://localhost:8080",
            "http://[::1]:8080",
        ] {
            let hub = with_token(endpoint);
            let url = hub.file_url("o/r", "main", "m.gguf");
            assert_eq!(
                hub.authorization_for(&url).as_deref(),
                Some("Bearer secret"),
                "{url}"
            );
            assert!(hub.sends_token(), "{endpoint}");
        }
        let hub = with_token("https://huggingface.co");
        assert_eq!(
            hub.authorization_for("https://cdn-lfs.huggingface.co/x"),
            None
        );
        assert_eq!(
            hub.authorization_for("http://huggingface.co/o/r/resolve/main/m.gguf"),
            None,
            "a downgrade to http is another origin"
        );
        assert_eq!(
            HubConfig::with_endpoint("https://huggingface.co")
                .authorization_for("https://huggingface.co/x"),
            None
        );
    }

    #[test]
    fn endpoint_from_config_wins_and_is_trimmed() {
        let hub = HubConfig::from_env(Some("http://127.0.0.1:9/"));
        assert_eq!(hub.endpoint, "http://127.0.0.1:9");
        assert_eq!(hub.host(), "127.0.0.1:9");
        assert_eq!(
            hub.file_url("o/r", "main", "x.gguf"),
            "http://127.0.0.1:9/o/r/resolve/main/x.gguf"
        );
    }
}
