//! The repo map: the repository's most important definitions as signatures, ranked by a
//! personalised PageRank over the graph "file A references a name that file B defines", and cut
//! to a token budget.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::Result;
use crate::index::Index;
use crate::syntax::{FileSyntax, SymbolKind};
use crate::tokens::TokenCounter;

/// What the map should focus on and how large it may be.
#[derive(Clone, Debug, Default)]
pub struct RepoMapOptions {
    /// Token budget for the rendered map.
    pub budget: usize,
    /// Files the user is working on (explicit context, current file): PageRank is personalised
    /// toward them.
    pub focus_files: Vec<String>,
    /// Identifiers named in the question: references to them weigh 10×.
    pub focus_idents: Vec<String>,
    /// Files left out of the map (already in the prompt in full).
    pub exclude_files: Vec<String>,
}

/// A rendered map.
#[derive(Clone, Debug, Default)]
pub struct RepoMap {
    /// The map text.
    pub text: String,
    /// Its token count.
    pub tokens: usize,
    /// Definitions shown.
    pub symbols: usize,
    /// Files shown, in order.
    pub files: Vec<String>,
}

const DAMPING: f32 = 0.85;
const ITERATIONS: usize = 30;

impl Index {
    /// Builds the repo map (decodes every file's symbols; see [`build_repo_map`] to reuse them).
    pub fn repo_map(&self, opts: &RepoMapOptions, counter: &dyn TokenCounter) -> Result<RepoMap> {
        let syntax = self.all_syntax()?;
        Ok(build_repo_map(self, &syntax, opts, counter))
    }
}

/// Ranks definitions and renders as many as fit `opts.budget`.
pub fn build_repo_map(
    index: &Index,
    syntax: &[(usize, FileSyntax)],
    opts: &RepoMapOptions,
    counter: &dyn TokenCounter,
) -> RepoMap {
    let ranked = rank_definitions(index, syntax, opts);
    if ranked.is_empty() || opts.budget == 0 {
        return RepoMap::default();
    }
    let render = |k: usize| render_map(index, syntax, &ranked[..k]);
    // Largest prefix of the ranking that fits: binary search on the count.
    let (mut lo, mut hi) = (0usize, ranked.len());
    let mut best = RepoMap::default();
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let m = render(mid);
        let t = counter.count(&m.text);
        if t <= opts.budget {
            best = RepoMap { tokens: t, ..m };
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    if lo > 0 && best.text.is_empty() {
        let m = render(lo);
        let tokens = counter.count(&m.text);
        best = RepoMap { tokens, ..m };
    }
    best
}

/// (position in `syntax`, symbol index), best first.
fn rank_definitions(
    index: &Index,
    syntax: &[(usize, FileSyntax)],
    opts: &RepoMapOptions,
) -> Vec<(usize, usize)> {
    let n = syntax.len();
    if n == 0 {
        return Vec::new();
    }
    let files = index.files();
    let focus_idents: FxHashSet<&str> = opts.focus_idents.iter().map(String::as_str).collect();
    let focus_files: FxHashSet<&str> = opts.focus_files.iter().map(String::as_str).collect();
    let excluded: FxHashSet<&str> = opts.exclude_files.iter().map(String::as_str).collect();

    // name -> files (positions in `syntax`) defining it
    let mut defines: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    for (pos, (_, syn)) in syntax.iter().enumerate() {
        for s in &syn.symbols {
            if matches!(s.kind, SymbolKind::Impl | SymbolKind::Module) {
                continue;
            }
            let v = defines.entry(s.name.as_str()).or_default();
            if v.last() != Some(&pos) {
                v.push(pos);
            }
        }
    }
    // Edges A -> B with weight, and the name that made them.
    let mut edges: Vec<(usize, usize, f32, &str)> = Vec::new();
    for (a, (_, syn)) in syntax.iter().enumerate() {
        for (name, count) in &syn.references {
            let Some(defs) = defines.get(name.as_str()) else {
                continue;
            };
            // Aider's weights: named in the question ×10, a long structured identifier ×10,
            // private ×0.1, defined in many files (too generic to point anywhere) ×0.1.
            let mut mul = 1.0f32;
            if focus_idents.contains(name.as_str()) {
                mul *= 10.0;
            }
            let structured = name.contains('_') && name.chars().any(char::is_alphabetic)
                || name.chars().any(char::is_uppercase) && name.chars().any(char::is_lowercase);
            if structured && name.len() >= 8 {
                mul *= 10.0;
            }
            // Short plain words (`iter`, `data`, `take`) are mostly calls of something else
            // with the same name (std methods, fields).
            if name.len() <= 5 && name.bytes().all(|b| b.is_ascii_lowercase()) {
                mul *= 0.3;
            }
            if name.starts_with('_') {
                mul *= 0.1;
            }
            if defs.len() > 5 {
                mul *= 0.1;
            }
            let w = mul * (*count as f32).sqrt() / defs.len() as f32;
            for &b in defs {
                if b != a {
                    edges.push((a, b, w, name.as_str()));
                }
            }
        }
    }
    let mut out_w = vec![0.0f32; n];
    for &(a, _, w, _) in &edges {
        out_w[a] += w;
    }
    // Personalisation: focus files, then files defining focus identifiers; uniform otherwise.
    let mut pers = vec![0.0f32; n];
    for (pos, (fi, syn)) in syntax.iter().enumerate() {
        let path = files[*fi].path.as_str();
        if focus_files.contains(path) {
            pers[pos] += 1.0;
        }
        if syn
            .symbols
            .iter()
            .any(|s| focus_idents.contains(s.name.as_str()))
        {
            pers[pos] += 0.5;
        }
    }
    let total: f32 = pers.iter().sum();
    if total > 0.0 {
        pers.iter_mut().for_each(|p| *p /= total);
    } else {
        pers.iter_mut().for_each(|p| *p = 1.0 / n as f32);
    }
    let mut rank = pers.clone();
    let mut next = vec![0.0f32; n];
    for _ in 0..ITERATIONS {
        next.iter_mut().for_each(|x| *x = 0.0);
        let mut dangling = 0.0f32;
        for (a, &w) in out_w.iter().enumerate() {
            if w == 0.0 {
                dangling += rank[a];
            }
        }
        for &(a, b, w, _) in &edges {
            next[b] += DAMPING * rank[a] * w / out_w[a];
        }
        for (i, x) in next.iter_mut().enumerate() {
            *x += (1.0 - DAMPING + DAMPING * dangling) * pers[i];
        }
        std::mem::swap(&mut rank, &mut next);
    }
    // Definition rank: the rank flowing along each edge goes to the named definition; every
    // definition also gets a small share of its file's rank so unreferenced ones still order.
    let mut def_rank: FxHashMap<(usize, &str), f32> = FxHashMap::default();
    for &(a, b, w, name) in &edges {
        *def_rank.entry((b, name)).or_insert(0.0) += rank[a] * w / out_w[a];
    }
    let mut ranked: Vec<((usize, usize), f32)> = Vec::new();
    for (pos, (fi, syn)) in syntax.iter().enumerate() {
        if excluded.contains(files[*fi].path.as_str()) {
            continue;
        }
        // Test, benchmark and example code is rarely what a question is about.
        let side = if is_test_path(&files[*fi].path) {
            0.1
        } else {
            1.0
        };
        let base = rank[pos] * 0.01 / syn.symbols.len().max(1) as f32;
        for (si, s) in syn.symbols.iter().enumerate() {
            if matches!(s.kind, SymbolKind::Impl) {
                continue;
            }
            let mut r = def_rank
                .get(&(pos, s.name.as_str()))
                .copied()
                .unwrap_or(0.0)
                + base;
            if focus_idents.contains(s.name.as_str()) {
                r *= 10.0;
            }
            if s.parent.as_deref() == Some("tests") {
                r *= 0.1;
            }
            r *= side;
            ranked.push(((pos, si), r));
        }
    }
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked.into_iter().map(|(k, _)| k).collect()
}

/// Paths of tests, benchmarks and examples (`tests/`, `benches/`, `examples/`, `*_test.go`,
/// `test_*.py`, `*.test.ts`, `*.spec.js`, ...).
pub fn is_test_path(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.split('.').next().unwrap_or(name);
    path.split('/').any(|c| {
        matches!(
            c,
            "tests" | "test" | "testing" | "benches" | "examples" | "__tests__" | "testdata"
        )
    }) || stem.ends_with("_test")
        || stem.ends_with("_tests")
        || stem.starts_with("test_")
        || name.contains(".test.")
        || name.contains(".spec.")
}

fn render_map(index: &Index, syntax: &[(usize, FileSyntax)], chosen: &[(usize, usize)]) -> RepoMap {
    // Group by file in order of each file's best definition; within a file, source order.
    let mut order: Vec<usize> = Vec::new();
    let mut per_file: FxHashMap<usize, Vec<usize>> = FxHashMap::default();
    for &(pos, si) in chosen {
        let v = per_file.entry(pos).or_insert_with(|| {
            order.push(pos);
            Vec::new()
        });
        v.push(si);
    }
    let mut text = String::new();
    let mut files = Vec::new();
    let mut symbols = 0;
    for pos in order {
        let (fi, syn) = &syntax[pos];
        let Some(mut sis) = per_file.remove(&pos) else {
            continue;
        };
        // Show the container (impl/class/trait) header of each chosen member.
        let mut extra = Vec::new();
        for &si in &sis {
            let s = &syn.symbols[si];
            if s.parent.is_some()
                && let Some(ci) = syn.symbols.iter().position(|c| {
                    c.start_line <= s.start_line
                        && c.end_line >= s.end_line
                        && !std::ptr::eq(c, s)
                        && matches!(
                            c.kind,
                            SymbolKind::Impl
                                | SymbolKind::Class
                                | SymbolKind::Trait
                                | SymbolKind::Interface
                                | SymbolKind::Struct
                                | SymbolKind::Enum
                                | SymbolKind::Module
                        )
                })
            {
                extra.push(ci);
            }
        }
        sis.extend(extra);
        sis.sort_unstable();
        sis.dedup();
        let path = &index.files()[*fi].path;
        text.push_str(path);
        text.push_str(":\n");
        files.push(path.clone());
        for si in sis {
            let s = &syn.symbols[si];
            let depth = syn
                .symbols
                .iter()
                .filter(|c| {
                    c.start_line <= s.start_line
                        && c.end_line >= s.end_line
                        && (c.start_line, c.end_line) != (s.start_line, s.end_line)
                })
                .count()
                .min(4);
            text.push_str("│ ");
            for _ in 0..depth {
                text.push_str("  ");
            }
            text.push_str(&s.signature);
            text.push('\n');
            symbols += 1;
        }
    }
    RepoMap {
        text,
        tokens: 0,
        symbols,
        files,
    }
}

#[cfg(test)]
mod tests {
    use super::is_test_path;

    #[test]
    fn test_paths() {
        for p in [
            "tests/a.rs",
            "crates/x/tests/common/mod.rs",
            "pkg/foo_test.go",
            "test_app.py",
            "src/a.test.ts",
            "b.spec.js",
            "benches/x.rs",
            "examples/demo.rs",
        ] {
            assert!(is_test_path(p), "{p}");
        }
        for p in [
            "src/lib.rs",
            "src/testing_utils_not.rs",
            "contest/main.go",
            "src/latest.rs",
        ] {
            assert!(!is_test_path(p), "{p}");
        }
    }
}
