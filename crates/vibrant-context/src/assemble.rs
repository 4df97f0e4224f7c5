//! Context assembly: what the assistant sends to the model for a question, in priority order
//! and never over the token budget:
//!
//! 1. explicit files and globs (`--context`), then the current file;
//! 2. definitions of the identifiers the question names, and outlines of the files the explicit
//!    and current files import;
//! 3. search hits (BM25 chunks);
//! 4. the repo map, personalised toward all of the above, in whatever budget remains.
//!
//! Every snippet carries the reason it was included. Overlapping line ranges are included once.

use std::ops::RangeInclusive;
use std::path::Path;

use globset::{GlobBuilder, GlobMatcher};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::Result;
use crate::error::ContextError;
use crate::index::{FileStatus, Index, slice_lines};
use crate::lang::Language;
use crate::repomap::{RepoMapOptions, build_repo_map};
use crate::syntax::{FileSyntax, SymbolKind};
use crate::terms;
use crate::tokens::TokenCounter;

/// Why a snippet is in the context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnippetKind {
    /// Named with `--context`.
    Explicit,
    /// The file being edited.
    CurrentFile,
    /// Defines an identifier the question names.
    Definition,
    /// Outline of a file imported by an explicit or current file.
    Import,
    /// A search hit.
    SearchHit,
    /// The repo map.
    RepoMap,
}

impl SnippetKind {
    /// Short label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Explicit => "explicit",
            Self::CurrentFile => "current file",
            Self::Definition => "definition",
            Self::Import => "import",
            Self::SearchHit => "search",
            Self::RepoMap => "repo map",
        }
    }
}

/// One piece of context.
#[derive(Clone, Debug)]
pub struct Snippet {
    /// File path relative to the root (empty for the repo map).
    pub path: String,
    /// Lines of the file (1-based, inclusive); `0..=0` for the repo map and outlines.
    pub lines: RangeInclusive<u32>,
    /// The content.
    pub text: String,
    /// Why it was included (for `--explain` and the UI).
    pub reason: String,
    /// Tokens of [`Snippet::render`].
    pub tokens: usize,
    /// Category.
    pub kind: SnippetKind,
    language: Language,
}

impl Snippet {
    /// The snippet as it goes into the prompt (ends with a newline, so concatenating rendered
    /// snippets adds nothing between them).
    pub fn render(&self) -> String {
        match self.kind {
            SnippetKind::RepoMap => format!(
                "Repository map (definitions ranked by relevance):\n{}\n",
                self.text.trim_end()
            ),
            SnippetKind::Import => format!("{} (outline):\n{}\n", self.path, self.text.trim_end()),
            _ => format!(
                "{}:{}-{}\n```{}\n{}\n```\n",
                self.path,
                self.lines.start(),
                self.lines.end(),
                self.language.fence(),
                self.text.trim_end_matches('\n')
            ),
        }
    }
}

/// The prompt text of `snippets`: their renderings concatenated in order.
pub fn render_snippets(snippets: &[Snippet]) -> String {
    snippets.iter().map(Snippet::render).collect()
}

/// Assembly settings.
#[derive(Clone, Debug)]
pub struct AssembleOptions {
    /// Token budget for all snippets together.
    pub budget: usize,
    /// Paths (relative to the root, or absolute inside it), directories or globs.
    pub explicit: Vec<String>,
    /// The file being edited, if any.
    pub current_file: Option<String>,
    /// Most search hits to include.
    pub search_hits: usize,
    /// Whether to add the repo map with the remaining budget.
    pub repo_map: bool,
    /// Smallest budget worth a repo map.
    pub min_map_tokens: usize,
}

impl Default for AssembleOptions {
    fn default() -> Self {
        Self {
            budget: 4096,
            explicit: Vec::new(),
            current_file: None,
            search_hits: 8,
            repo_map: true,
            min_map_tokens: 64,
        }
    }
}

/// Longest definition included whole, in lines.
const MAX_DEF_LINES: u32 = 80;
/// Most definitions included for identifiers the question names.
const MAX_DEFS: usize = 6;
/// Identifiers defined in more files than this are too common to point anywhere.
const MAX_DEF_FILES: usize = 3;
/// A repository with at most this many indexed source files gets them whole when they fit.
const SMALL_REPO_FILES: usize = 20;

impl Index {
    /// Assembles context for `question` (see the module docs for the order), never over `budget`
    /// tokens as measured by `counter`.
    pub fn assemble(
        &self,
        question: &str,
        explicit: &[String],
        current_file: Option<&str>,
        budget: usize,
        counter: &dyn TokenCounter,
    ) -> Result<Vec<Snippet>> {
        let opts = AssembleOptions {
            budget,
            explicit: explicit.to_vec(),
            current_file: current_file.map(str::to_owned),
            ..AssembleOptions::default()
        };
        self.assemble_with(question, &opts, counter)
    }

    /// [`Index::assemble`] with all settings.
    pub fn assemble_with(
        &self,
        question: &str,
        opts: &AssembleOptions,
        counter: &dyn TokenCounter,
    ) -> Result<Vec<Snippet>> {
        let mut b = Builder {
            index: self,
            counter,
            budget: opts.budget,
            used: 0,
            out: Vec::new(),
            covered: FxHashMap::default(),
        };
        let syntax = self.all_syntax()?;
        let by_file: FxHashMap<usize, usize> = syntax
            .iter()
            .enumerate()
            .map(|(pos, (fi, _))| (*fi, pos))
            .collect();
        let hits = self.search(question, 64, 0)?;

        // 1. Explicit files, then the current file.
        let mut focus: Vec<String> = Vec::new();
        for spec in &opts.explicit {
            for path in self.resolve_spec(spec)? {
                if !focus.contains(&path) {
                    focus.push(path);
                }
            }
        }
        for path in &focus {
            let cap = b.remaining();
            b.add_file(
                path,
                SnippetKind::Explicit,
                "named with --context",
                cap,
                &hits,
                &syntax,
                &by_file,
            );
        }
        let mut current: Option<String> = None;
        if let Some(cf) = &opts.current_file
            && let Some(path) = self.resolve_spec(cf)?.into_iter().next()
        {
            let cap = b.remaining() / 2;
            b.add_file(
                &path,
                SnippetKind::CurrentFile,
                "the current file",
                cap,
                &hits,
                &syntax,
                &by_file,
            );
            current = Some(path);
        }
        let mut focus_files = focus.clone();
        focus_files.extend(current.iter().cloned());

        // 2a. Definitions of identifiers the question names.
        let idents = question_identifiers(question);
        let mut named: Vec<String> = Vec::new();
        let mut defs = 0;
        for ident in &idents {
            if defs >= MAX_DEFS {
                break;
            }
            let sites: Vec<(usize, usize)> = syntax
                .iter()
                .enumerate()
                .flat_map(|(pos, (_, syn))| {
                    syn.symbols
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| {
                            s.name == *ident
                                && !matches!(s.kind, SymbolKind::Impl | SymbolKind::Module)
                        })
                        .map(move |(si, _)| (pos, si))
                })
                .collect();
            let files: FxHashSet<usize> = sites.iter().map(|s| s.0).collect();
            if sites.is_empty() || files.len() > MAX_DEF_FILES {
                continue;
            }
            named.push(ident.clone());
            for (pos, si) in sites.into_iter().take(2) {
                let (fi, syn) = &syntax[pos];
                let s = &syn.symbols[si];
                let end = s.end_line.min(s.start_line + MAX_DEF_LINES - 1);
                let path = self.files()[*fi].path.clone();
                let reason = format!(
                    "defines `{}` ({}) named in the question",
                    s.name,
                    s.kind.label()
                );
                if b.add_range(&path, s.start_line, end, SnippetKind::Definition, reason) {
                    defs += 1;
                }
            }
        }

        // 2b. Outlines of files the explicit and current files import.
        let lookup = PathLookup::new(self);
        for path in &focus_files {
            let Some(fi) = self.file_index(path) else {
                continue;
            };
            let Some(&pos) = by_file.get(&fi) else {
                continue;
            };
            let lang = self.files()[fi].language;
            let mut seen = FxHashSet::default();
            for imp in &syntax[pos].1.imports {
                for target in lookup.resolve(path, lang, imp) {
                    let tpath = &self.files()[target].path;
                    if target == fi || focus_files.contains(tpath) || !seen.insert(target) {
                        continue;
                    }
                    let Some(&tpos) = by_file.get(&target) else {
                        continue;
                    };
                    let outline = outline(&syntax[tpos].1);
                    if outline.is_empty() {
                        continue;
                    }
                    let reason = format!("imported by {path} (`{imp}`)");
                    b.add_outline(tpath, outline, reason);
                }
            }
        }

        // 3. Search hits.
        let qterms = terms::query_terms(question).join(" ");
        let mut taken = 0;
        let mut per_file: FxHashMap<usize, usize> = FxHashMap::default();
        for (rank, h) in hits.iter().enumerate() {
            if taken >= opts.search_hits {
                break;
            }
            let n = per_file.entry(h.file).or_insert(0);
            if *n >= 2 {
                continue;
            }
            let label = if h.label.is_empty() {
                String::new()
            } else {
                format!(" in `{}`", h.label)
            };
            let reason = format!(
                "search hit #{} for \"{qterms}\"{label} (BM25 {:.1})",
                rank + 1,
                h.score
            );
            if b.add_range(
                &h.path,
                h.start_line,
                h.end_line,
                SnippetKind::SearchHit,
                reason,
            ) {
                *n += 1;
                taken += 1;
            }
        }

        // 3b. A small repository: its source files whole, while they fit (an overview question
        //    — "what does this project do?" — finds few search hits, and the code itself says
        //    more than the map).
        let sources: Vec<&crate::index::FileRecord> = self
            .files()
            .iter()
            .filter(|f| f.status == FileStatus::Indexed && f.language != Language::Markdown)
            .collect();
        if sources.len() <= SMALL_REPO_FILES {
            for f in sources {
                if b.remaining() < 64 + opts.min_map_tokens || b.covered.contains_key(&f.path) {
                    continue;
                }
                let Some(text) = self.index_text(&f.path) else {
                    continue;
                };
                let lines = u32::try_from(text.lines().count())
                    .unwrap_or(u32::MAX)
                    .max(1);
                if counter.count(&text) + 32 + opts.min_map_tokens > b.remaining() {
                    continue;
                }
                b.add_range(
                    &f.path,
                    1,
                    lines,
                    SnippetKind::SearchHit,
                    "a file of this small repository".to_owned(),
                );
            }
        }
        // 4. Repo map with what is left.
        if opts.repo_map && b.remaining() >= opts.min_map_tokens {
            let header = Snippet {
                path: String::new(),
                lines: 0..=0,
                text: String::new(),
                reason: String::new(),
                tokens: 0,
                kind: SnippetKind::RepoMap,
                language: Language::Text,
            };
            let overhead = counter.count(&header.render()) + 1;
            let mut mfocus = focus_files.clone();
            mfocus.extend(hits.iter().take(3).map(|h| h.path.clone()));
            let map_opts = RepoMapOptions {
                budget: b.remaining().saturating_sub(overhead),
                focus_files: mfocus,
                focus_idents: idents.clone(),
                exclude_files: focus.clone(),
            };
            let map = build_repo_map(self, &syntax, &map_opts, counter);
            if !map.text.is_empty() {
                let reason = format!(
                    "repo map: {} definitions from {} files, ranked by PageRank",
                    map.symbols,
                    map.files.len()
                );
                b.push_checked(Snippet {
                    text: map.text,
                    reason,
                    ..header
                });
            }
        }
        Ok(b.out)
    }

    fn index_text(&self, path: &str) -> Option<String> {
        self.read_text(path)
    }

    /// Files matching a `--context` spec: an exact path (relative to the root, or absolute
    /// inside it), a directory (all indexed files under it) or a glob.
    pub fn resolve_spec(&self, spec: &str) -> Result<Vec<String>> {
        let root = self.root();
        let p = Path::new(spec);
        let abs = if p.is_absolute() {
            p.to_path_buf()
        } else {
            root.join(p)
        };
        if let Ok(canon) = abs.canonicalize()
            && let Some(rel) = crate::walk::relative_path(root, &canon)
        {
            if canon.is_file() {
                return Ok(vec![rel]);
            }
            if canon.is_dir() {
                let prefix = format!("{rel}/");
                let v: Vec<String> = self
                    .files()
                    .iter()
                    .filter(|f| f.status == FileStatus::Indexed && f.path.starts_with(&prefix))
                    .map(|f| f.path.clone())
                    .collect();
                if !v.is_empty() {
                    return Ok(v);
                }
            }
        }
        let matcher = glob(spec)?;
        let v: Vec<String> = self
            .files()
            .iter()
            .filter(|f| f.status == FileStatus::Indexed && matcher.is_match(&f.path))
            .map(|f| f.path.clone())
            .collect();
        if v.is_empty() {
            return Err(ContextError::NoMatch {
                pattern: spec.to_owned(),
                root: root.to_path_buf(),
            });
        }
        Ok(v)
    }
}

fn glob(spec: &str) -> Result<GlobMatcher> {
    let g = GlobBuilder::new(spec)
        .literal_separator(true)
        .build()
        .map_err(|source| ContextError::Glob {
            pattern: spec.to_owned(),
            source,
        })?;
    Ok(g.compile_matcher())
}

/// Identifiers a question names: words in backticks, and words shaped like code — `snake_case`,
/// `camelCase`, `PascalCase` (a capital that does not start the question), parts of `a::b` or
/// `a.b` paths. Plain words ("split", "value") are left to search: as definition lookups they
/// match too much. In order of appearance, without repeats.
pub fn question_identifiers(question: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |w: &str, forced: bool, first: bool| {
        let w = w.trim_matches(|c: char| !(c.is_alphanumeric() || c == '_'));
        if w.len() < 3
            || terms::is_stopword(&w.to_ascii_lowercase())
            || w.bytes().all(|b| b.is_ascii_digit())
        {
            return;
        }
        let mut chars = w.chars();
        let head_upper = chars.next().is_some_and(char::is_uppercase);
        let inner_upper = chars.any(char::is_uppercase);
        let code_like = w.contains('_') || inner_upper || (head_upper && !first);
        if (forced || code_like) && !out.iter().any(|o| o == w) {
            out.push(w.to_owned());
        }
    };
    for (i, span) in question.split('`').enumerate() {
        let in_backticks = i % 2 == 1;
        let mut first_word = i == 0;
        for word in span.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':' || c == '.'))
        {
            if word.is_empty() {
                continue;
            }
            let path = word.contains("::") || word.trim_matches('.').contains('.');
            for part in word.split("::").flat_map(|p| p.split('.')) {
                push(part, in_backticks || path, first_word);
            }
            first_word = false;
        }
    }
    out
}

fn outline(syn: &FileSyntax) -> String {
    let mut out = String::new();
    for s in &syn.symbols {
        let depth = syn
            .symbols
            .iter()
            .filter(|c| {
                c.start_line <= s.start_line
                    && c.end_line >= s.end_line
                    && (c.start_line, c.end_line) != (s.start_line, s.end_line)
            })
            .count();
        if depth > 1 || matches!(s.kind, SymbolKind::Const) && depth > 0 {
            continue;
        }
        out.push_str(&"  ".repeat(depth));
        out.push_str(&s.signature);
        out.push('\n');
    }
    out
}

struct Builder<'a> {
    index: &'a Index,
    counter: &'a dyn TokenCounter,
    budget: usize,
    used: usize,
    out: Vec<Snippet>,
    covered: FxHashMap<String, Vec<(u32, u32)>>,
}

impl Builder<'_> {
    fn remaining(&self) -> usize {
        self.budget.saturating_sub(self.used)
    }

    /// Adds `snip` (computing its tokens) if it fits.
    fn push_checked(&mut self, mut snip: Snippet) -> bool {
        snip.tokens = self.counter.count(&snip.render());
        if snip.tokens > self.remaining() {
            return false;
        }
        self.used += snip.tokens;
        if snip.kind != SnippetKind::RepoMap && snip.kind != SnippetKind::Import {
            self.covered
                .entry(snip.path.clone())
                .or_default()
                .push((*snip.lines.start(), *snip.lines.end()));
        }
        self.out.push(snip);
        true
    }

    /// The largest part of `[s, e]` not yet included for `path`.
    fn uncovered(&self, path: &str, s: u32, e: u32) -> Option<(u32, u32)> {
        let Some(ranges) = self.covered.get(path) else {
            return Some((s, e));
        };
        let mut best: Option<(u32, u32)> = None;
        let mut cur_start = s;
        let mut sorted = ranges.clone();
        sorted.sort_unstable();
        for &(a, b) in &sorted {
            if b < cur_start || a > e {
                continue;
            }
            if a > cur_start {
                let cand = (cur_start, a - 1);
                if best.is_none_or(|(bs, be)| cand.1 - cand.0 > be - bs) {
                    best = Some(cand);
                }
            }
            cur_start = cur_start.max(b.saturating_add(1));
        }
        if cur_start <= e {
            let cand = (cur_start, e);
            if best.is_none_or(|(bs, be)| cand.1 - cand.0 > be - bs) {
                best = Some(cand);
            }
        }
        best
    }

    fn add_range(&mut self, path: &str, s: u32, e: u32, kind: SnippetKind, reason: String) -> bool {
        let (os, oe) = (s, e);
        let Some((s, e)) = self.uncovered(path, s, e) else {
            return false;
        };
        // A sliver left over from an overlap is not worth its header.
        if (s, e) != (os, oe) && e - s + 1 < 3.max((oe - os).div_ceil(2)) {
            return false;
        }
        let Some(text) = self.index.read_lines(path, s, e) else {
            return false;
        };
        if text.trim().is_empty() {
            return false;
        }
        let language = self.language(path);
        self.push_checked(Snippet {
            path: path.to_owned(),
            lines: s..=e,
            text,
            reason,
            tokens: 0,
            kind,
            language,
        })
    }

    fn add_outline(&mut self, path: &str, text: String, reason: String) -> bool {
        let language = self.language(path);
        self.push_checked(Snippet {
            path: path.to_owned(),
            lines: 0..=0,
            text,
            reason,
            tokens: 0,
            kind: SnippetKind::Import,
            language,
        })
    }

    fn language(&self, path: &str) -> Language {
        self.index
            .file_index(path)
            .map(|i| self.index.files()[i].language)
            .or_else(|| Language::from_path(Path::new(path)))
            .unwrap_or(Language::Text)
    }

    /// A whole file if it fits in `cap` tokens; otherwise its chunks, those matching the question
    /// first, while they fit.
    #[allow(clippy::too_many_arguments)]
    fn add_file(
        &mut self,
        path: &str,
        kind: SnippetKind,
        why: &str,
        cap: usize,
        hits: &[crate::index::SearchHit],
        syntax: &[(usize, FileSyntax)],
        by_file: &FxHashMap<usize, usize>,
    ) {
        let Some(text) = self.index.read_text(path) else {
            return;
        };
        let lines = u32::try_from(text.lines().count())
            .unwrap_or(u32::MAX)
            .max(1);
        let start_used = self.used;
        let saved_budget = self.budget;
        // Enforce the cap by lowering the budget temporarily.
        self.budget = self.budget.min(self.used + cap);
        if !self.add_range(path, 1, lines, kind, why.to_owned()) {
            let mut spans: Vec<(u32, u32)> = Vec::new();
            for h in hits.iter().filter(|h| h.path == path) {
                spans.push((h.start_line, h.end_line));
            }
            let chunks = self
                .index
                .file_index(path)
                .and_then(|fi| by_file.get(&fi))
                .map(|&pos| {
                    syntax[pos]
                        .1
                        .chunks
                        .iter()
                        .map(|c| (c.start_line, c.end_line))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_else(|| {
                    crate::syntax::line_windows(&text, 1, lines, 60)
                        .iter()
                        .map(|c| (c.start_line, c.end_line))
                        .collect()
                });
            for c in chunks {
                if !spans.contains(&c) {
                    spans.push(c);
                }
            }
            for (s, e) in spans {
                let reason = format!("{why} (part: lines {s}-{e})");
                self.add_range(path, s, e, kind, reason);
            }
            if self.used == start_used {
                tracing::debug!(path, "explicit file does not fit the budget");
            }
        }
        self.budget = saved_budget;
        let _ = slice_lines;
    }
}

/// Resolves import strings to indexed files by path suffix.
struct PathLookup<'a> {
    index: &'a Index,
    by_suffix: FxHashMap<String, Vec<usize>>,
    by_dir: FxHashMap<String, Vec<usize>>,
}

impl<'a> PathLookup<'a> {
    fn new(index: &'a Index) -> Self {
        let mut by_suffix: FxHashMap<String, Vec<usize>> = FxHashMap::default();
        let mut by_dir: FxHashMap<String, Vec<usize>> = FxHashMap::default();
        for (i, f) in index.files().iter().enumerate() {
            if f.status != FileStatus::Indexed || !f.language.is_code() {
                continue;
            }
            let no_ext = match f.path.rsplit_once('.') {
                Some((a, _)) if !a.is_empty() && !a.ends_with('/') => a,
                _ => f.path.as_str(),
            };
            let segs: Vec<&str> = no_ext.split('/').collect();
            let mut add = |segs: &[&str]| {
                for k in 1..=segs.len().min(4) {
                    by_suffix
                        .entry(segs[segs.len() - k..].join("/"))
                        .or_default()
                        .push(i);
                }
            };
            add(&segs);
            if let Some(last) = segs.last()
                && matches!(*last, "mod" | "lib" | "__init__" | "index" | "main")
                && segs.len() > 1
            {
                add(&segs[..segs.len() - 1]);
            }
            let dir = &segs[..segs.len() - 1];
            for k in 1..=dir.len().min(3) {
                by_dir
                    .entry(dir[dir.len() - k..].join("/"))
                    .or_default()
                    .push(i);
            }
        }
        Self {
            index,
            by_suffix,
            by_dir,
        }
    }

    fn exact(&self, path: &str) -> Option<usize> {
        self.index
            .file_index(path)
            .filter(|&i| self.index.files()[i].status == FileStatus::Indexed)
    }

    fn resolve(&self, from: &str, lang: Language, import: &str) -> Vec<usize> {
        let dir = from.rsplit_once('/').map_or("", |(d, _)| d);
        let join = |d: &str, rel: &str| -> String {
            let mut parts: Vec<&str> = if d.is_empty() {
                Vec::new()
            } else {
                d.split('/').collect()
            };
            for seg in rel.split('/') {
                match seg {
                    "" | "." => {}
                    ".." => {
                        parts.pop();
                    }
                    s => parts.push(s),
                }
            }
            parts.join("/")
        };
        match lang {
            Language::Rust => {
                if let Some(m) = import.strip_prefix("mod ") {
                    let stem = from.rsplit('/').next().unwrap_or("");
                    let base = if matches!(stem, "mod.rs" | "lib.rs" | "main.rs") {
                        dir.to_owned()
                    } else {
                        join(dir, stem.trim_end_matches(".rs"))
                    };
                    for cand in [format!("{}/{m}.rs", base), format!("{}/{m}/mod.rs", base)] {
                        let cand = cand.trim_start_matches('/').to_owned();
                        if let Some(i) = self.exact(&cand) {
                            return vec![i];
                        }
                    }
                    return Vec::new();
                }
                let head = import.split("::{").next().unwrap_or(import);
                let mut segs: Vec<String> = head.split("::").map(str::to_owned).collect();
                let crate_name = segs.first().cloned().unwrap_or_default();
                segs.retain(|s| {
                    !matches!(
                        s.as_str(),
                        "crate" | "self" | "super" | "std" | "core" | "alloc" | "*"
                    )
                });
                if !matches!(crate_name.as_str(), "crate" | "self" | "super") && !segs.is_empty() {
                    // Another crate of the workspace: `vibrant_gguf::x` → crates/vibrant-gguf/src/...
                    let dashed = segs[0].replace('_', "-");
                    let rest: Vec<String> = segs[1..].to_vec();
                    let mut hits = self.suffix_walk(
                        &rest.iter().map(String::as_str).collect::<Vec<_>>(),
                        Some(&dashed),
                    );
                    if hits.is_empty() {
                        hits = self.lookup(&format!("{dashed}/src/lib"));
                    }
                    return hits;
                }
                self.suffix_walk(&segs.iter().map(String::as_str).collect::<Vec<_>>(), None)
            }
            Language::JavaScript | Language::TypeScript | Language::Tsx => {
                if !import.starts_with('.') {
                    return Vec::new();
                }
                let base = join(dir, import);
                for ext in [
                    "",
                    ".ts",
                    ".tsx",
                    ".js",
                    ".jsx",
                    ".mjs",
                    "/index.ts",
                    "/index.tsx",
                    "/index.js",
                ] {
                    if let Some(i) = self.exact(&format!("{base}{ext}")) {
                        return vec![i];
                    }
                }
                Vec::new()
            }
            Language::Go => {
                let segs: Vec<&str> = import.split('/').collect();
                for k in (1..=segs.len().min(3)).rev() {
                    if let Some(v) = self.by_dir.get(&segs[segs.len() - k..].join("/"))
                        && v.len() <= 8
                    {
                        return v.clone();
                    }
                }
                Vec::new()
            }
            Language::C | Language::Cpp => {
                let rel = join(dir, import);
                if let Some(i) = self.exact(&rel) {
                    return vec![i];
                }
                let no_ext = import.rsplit_once('.').map_or(import, |(a, _)| a);
                let segs: Vec<&str> = no_ext.split('/').collect();
                let v = self.lookup(&segs.join("/"));
                if v.len() <= 4 { v } else { Vec::new() }
            }
            Language::Python => {
                let trimmed = import.trim_start_matches('.');
                let dots = import.len() - trimmed.len();
                let segs: Vec<&str> = trimmed.split('.').filter(|s| !s.is_empty()).collect();
                if dots > 0 {
                    let mut d = dir.to_owned();
                    for _ in 1..dots {
                        d = join(&d, "..");
                    }
                    let base = join(&d, &segs.join("/"));
                    for cand in [format!("{base}.py"), format!("{base}/__init__.py")] {
                        if let Some(i) = self.exact(&cand) {
                            return vec![i];
                        }
                    }
                    return Vec::new();
                }
                self.suffix_walk(&segs, None)
            }
            _ => {
                let segs: Vec<&str> = import.split(['.', '/']).filter(|s| !s.is_empty()).collect();
                self.suffix_walk(&segs, None)
            }
        }
    }

    fn lookup(&self, key: &str) -> Vec<usize> {
        self.by_suffix.get(key).cloned().unwrap_or_default()
    }

    /// Longest prefix of `segs` whose last (up to 4) segments name a file suffix, optionally
    /// required to be under a directory `under`.
    fn suffix_walk(&self, segs: &[&str], under: Option<&str>) -> Vec<usize> {
        for k in (1..=segs.len()).rev() {
            let prefix = &segs[..k];
            let tail = &prefix[prefix.len().saturating_sub(4)..];
            let key = tail.join("/");
            let mut v = self.lookup(&key);
            if let Some(u) = under {
                let needle = format!("{u}/");
                v.retain(|&i| {
                    self.index.files()[i].path.starts_with(&needle)
                        || self.index.files()[i].path.contains(&format!("/{needle}"))
                });
            }
            if !v.is_empty() && v.len() <= 4 {
                return v;
            }
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_from_questions() {
        assert_eq!(
            question_identifiers(
                "How does `Index::update` call walk_files, parseHeader and Store.open in the store?"
            ),
            [
                "Index",
                "update",
                "walk_files",
                "parseHeader",
                "Store",
                "open"
            ]
        );
        // A capital that starts the question is just a sentence.
        assert_eq!(
            question_identifiers("Where is the value split?"),
            Vec::<String>::new()
        );
    }
}
