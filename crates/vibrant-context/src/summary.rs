//! Project summary: a collapsed directory tree, a README excerpt, the languages by size and the
//! build systems found by their manifests.

use std::collections::BTreeMap;

use crate::index::{FileStatus, Index};
use crate::lang::Language;
use crate::tokens::TokenCounter;

/// An overview of the repository.
#[derive(Clone, Debug, Default)]
pub struct ProjectSummary {
    /// Repository directory name.
    pub name: String,
    /// (language, files, bytes), largest first; text files excluded.
    pub languages: Vec<(Language, usize, u64)>,
    /// (manifest path, build system), shallowest first.
    pub manifests: Vec<(String, &'static str)>,
    /// (README path, excerpt).
    pub readme: Option<(String, String)>,
    /// The directory tree, depth-limited and collapsed.
    pub tree: String,
}

/// Manifest file names and the build system they reveal.
const MANIFESTS: &[(&str, &str)] = &[
    ("Cargo.toml", "Cargo (Rust)"),
    ("go.mod", "Go modules"),
    ("package.json", "npm (JavaScript/TypeScript)"),
    ("pyproject.toml", "Python (pyproject)"),
    ("setup.py", "Python (setuptools)"),
    ("requirements.txt", "Python (pip requirements)"),
    ("pom.xml", "Maven (Java)"),
    ("build.gradle", "Gradle"),
    ("build.gradle.kts", "Gradle"),
    ("CMakeLists.txt", "CMake"),
    ("Makefile", "Make"),
    ("meson.build", "Meson"),
    ("BUILD.bazel", "Bazel"),
    ("WORKSPACE", "Bazel"),
    ("Gemfile", "Bundler (Ruby)"),
    ("composer.json", "Composer (PHP)"),
];

/// Tree rendering limits.
const TREE_DEPTH: usize = 3;
const TREE_ENTRIES: usize = 12;
const README_CHARS: usize = 1200;

impl ProjectSummary {
    /// Summarises the indexed repository (the tree shows only files the walk accepted).
    pub fn from_index(index: &Index) -> Self {
        let name = index
            .root()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut langs: BTreeMap<Language, (usize, u64)> = BTreeMap::new();
        let mut manifests = Vec::new();
        let mut readme: Option<String> = None;
        for f in index.files() {
            let file_name = f.path.rsplit('/').next().unwrap_or(&f.path);
            if let Some((_, sys)) = MANIFESTS.iter().find(|(m, _)| *m == file_name) {
                manifests.push((f.path.clone(), *sys));
            }
            if f.status == FileStatus::Indexed && f.language.is_code() {
                let e = langs.entry(f.language).or_insert((0, 0));
                e.0 += 1;
                e.1 += f.size;
            }
            let lower = file_name.to_ascii_lowercase();
            if !f.path.contains('/') && lower.starts_with("readme") && readme.is_none() {
                readme = Some(f.path.clone());
            }
        }
        manifests.sort_by_key(|(p, _)| (p.matches('/').count(), p.clone()));
        let mut languages: Vec<(Language, usize, u64)> =
            langs.into_iter().map(|(l, (n, b))| (l, n, b)).collect();
        languages.sort_by_key(|l| std::cmp::Reverse(l.2));
        let readme =
            readme.and_then(|p| index.read_text(&p).map(|t| (p, excerpt(&t, README_CHARS))));
        let paths: Vec<&str> = index.files().iter().map(|f| f.path.as_str()).collect();
        let tree = render_tree(&paths, TREE_DEPTH, TREE_ENTRIES);
        Self {
            name,
            languages,
            manifests,
            readme,
            tree,
        }
    }

    /// The summary as text.
    pub fn render(&self) -> String {
        let mut out = format!("Project: {}\n", self.name);
        if !self.languages.is_empty() {
            out.push_str("Languages: ");
            let parts: Vec<String> = self
                .languages
                .iter()
                .map(|(l, n, b)| format!("{} ({n} files, {})", l.name(), human_bytes(*b)))
                .collect();
            out.push_str(&parts.join(", "));
            out.push('\n');
        }
        if !self.manifests.is_empty() {
            out.push_str("Build: ");
            let mut systems: Vec<&str> = Vec::new();
            for (_, s) in &self.manifests {
                if !systems.contains(s) {
                    systems.push(s);
                }
            }
            out.push_str(&systems.join(", "));
            let shown: Vec<&str> = self
                .manifests
                .iter()
                .take(8)
                .map(|(p, _)| p.as_str())
                .collect();
            out.push_str(&format!(" ({}", shown.join(", ")));
            if self.manifests.len() > shown.len() {
                out.push_str(&format!(", … {} more", self.manifests.len() - shown.len()));
            }
            out.push_str(")\n");
        }
        out.push_str("Tree:\n");
        out.push_str(&self.tree);
        if let Some((p, text)) = &self.readme {
            out.push_str(&format!("{p} (excerpt):\n{text}\n"));
        }
        out
    }

    /// [`ProjectSummary::render`], with the README excerpt and then the tree shortened until it fits.
    pub fn render_within(&self, budget: usize, counter: &dyn TokenCounter) -> Option<String> {
        let mut s = self.clone();
        for _ in 0..8 {
            let text = s.render();
            if counter.count(&text) <= budget {
                return Some(text);
            }
            if let Some((_, r)) = &mut s.readme {
                if r.len() > 200 {
                    let cut = floor_char_boundary(r, r.len() / 2);
                    r.truncate(cut);
                    r.push('…');
                    continue;
                }
                s.readme = None;
                continue;
            }
            let lines: Vec<&str> = s.tree.lines().collect();
            if lines.len() <= 2 {
                return None;
            }
            s.tree = lines[..lines.len() / 2].join("\n") + "\n…\n";
        }
        None
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn excerpt(text: &str, max: usize) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let t = line.trim();
        // Badges and HTML carry no information for the model.
        if t.starts_with("[![") || t.starts_with("<") || t.starts_with("![") {
            continue;
        }
        if out.len() + line.len() + 1 > max {
            break;
        }
        if t.is_empty() && out.ends_with("\n\n") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim_end().to_owned()
}

fn human_bytes(b: u64) -> String {
    if b >= 1 << 20 {
        format!("{:.1} MiB", b as f64 / f64::from(1u32 << 20))
    } else if b >= 1 << 10 {
        format!("{:.1} KiB", b as f64 / 1024.0)
    } else {
        format!("{b} B")
    }
}

#[derive(Default)]
struct Dir<'a> {
    dirs: BTreeMap<&'a str, Dir<'a>>,
    files: Vec<&'a str>,
    total: usize,
}

/// A tree of `paths` to `depth` levels; directories with more than `max_entries` entries show
/// the first ones and a count of the rest; deeper levels show file counts.
pub fn render_tree(paths: &[&str], depth: usize, max_entries: usize) -> String {
    let mut root = Dir::default();
    for p in paths {
        let mut d = &mut root;
        d.total += 1;
        let mut parts = p.split('/').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                d.files.push(part);
            } else {
                d = d.dirs.entry(part).or_default();
                d.total += 1;
            }
        }
    }
    let mut out = String::new();
    render_dir(&root, 0, depth, max_entries, &mut out);
    out
}

fn render_dir(d: &Dir<'_>, level: usize, depth: usize, max_entries: usize, out: &mut String) {
    let indent = "  ".repeat(level + 1);
    let mut shown = 0;
    let entries = d.dirs.len() + d.files.len();
    for (name, sub) in &d.dirs {
        if shown >= max_entries {
            break;
        }
        shown += 1;
        if level + 1 >= depth {
            out.push_str(&format!("{indent}{name}/ ({} files)\n", sub.total));
        } else {
            out.push_str(&format!("{indent}{name}/\n"));
            render_dir(sub, level + 1, depth, max_entries, out);
        }
    }
    for f in &d.files {
        if shown >= max_entries {
            break;
        }
        shown += 1;
        out.push_str(&format!("{indent}{f}\n"));
    }
    if entries > shown {
        out.push_str(&format!("{indent}… {} more\n", entries - shown));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_is_collapsed() {
        let many: Vec<String> = (0..20).map(|i| format!("src/gen/f{i:02}.rs")).collect();
        let mut paths: Vec<&str> = many.iter().map(String::as_str).collect();
        paths.extend(["README.md", "src/lib.rs", "a/b/c/d/e.rs"]);
        let t = render_tree(&paths, 2, 5);
        assert!(t.contains("  src/\n"), "{t}");
        assert!(t.contains("    gen/ (20 files)\n"), "{t}");
        assert!(t.contains("    b/ (1 files)\n"), "{t}");
        assert!(!t.contains("f01.rs"), "{t}");
        let t = render_tree(&paths, 3, 5);
        assert!(
            t.contains("f04.rs") && !t.contains("f05.rs") && t.contains("… 15 more"),
            "{t}"
        );
    }

    #[test]
    fn readme_excerpt_skips_badges() {
        let e = excerpt("# Title\n[![ci](x)](y)\n\nSome text.\n", 100);
        assert_eq!(e, "# Title\n\nSome text.");
    }
}
