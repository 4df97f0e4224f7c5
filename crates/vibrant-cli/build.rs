//! Records the git commit the binary is built from (for `vibrant --version`), when there is one.
//! Builds from a source tarball (no git, or not a repository) simply go without it.

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn main() {
    println!("cargo:rerun-if-env-changed=VIBRANT_BUILD_COMMIT");
    let commit = std::env::var("VIBRANT_BUILD_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]));
    let date = commit.as_ref().and(git(&["log", "-1", "--format=%cs"]));
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let long = match (commit, date) {
        (Some(c), Some(d)) => format!("{version} ({c} {d})"),
        (Some(c), None) => format!("{version} ({c})"),
        _ => version,
    };
    println!("cargo:rustc-env=VIBRANT_LONG_VERSION={long}");
    // Rebuild when HEAD moves: HEAD itself (branch switches), the branch's ref (commits) and
    // packed-refs. Only existing files are named: a missing one would make Cargo rerun this
    // script, and rebuild the binary, on every build.
    let mut watched = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for name in watched {
        if let Some(path) = git(&["rev-parse", "--git-path", &name]) {
            let path = Path::new(&path);
            let path = if path.is_absolute() {
                path.to_path_buf()
            } else {
                // --git-path answers relative to the working directory, which is this crate.
                Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
            };
            if path.is_file() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
}
