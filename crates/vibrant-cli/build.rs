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
    // Rebuild when HEAD moves: HEAD itself (branch switches) and the ref it points to (commits).
    if let Some(git_dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        let git_dir = Path::new(&git_dir);
        println!("cargo:rerun-if-changed={}", git_dir.join("HEAD").display());
        if let Some(head_ref) = git(&["symbolic-ref", "-q", "HEAD"]) {
            println!(
                "cargo:rerun-if-changed={}",
                git_dir.join(head_ref).display()
            );
        }
        println!(
            "cargo:rerun-if-changed={}",
            git_dir.join("packed-refs").display()
        );
    }
}
