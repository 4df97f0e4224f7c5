//! Context benchmarks (run once by hand; numbers go to docs/results/context.md).
//!
//! ```text
//! cargo bench -p vibrant-context --bench context -- index <corpus-dir> [queries.txt]
//! cargo bench -p vibrant-context --bench context -- quality <repo-dir> <questions.tsv>
//! ```
//! `index` works on a scratch copy of a corpus: it edits files in it (scripts/bench-context.sh
//! makes the copy). It measures the cold index, a no-change re-index, re-indexing after touching
//! (mtime only) and after editing 10 files, query latency, and peak memory.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use vibrant_context::{CharEstimate, FileStatus, Index, IndexOptions, SnippetKind};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--bench"))
        .collect();
    match args.first().map(String::as_str) {
        Some("index") => index_bench(Path::new(&args[1]), args.get(2).map(PathBuf::from)),
        Some("cold") => {
            // Only the cold index (for profiling); a third argument keeps the index there (to
            // compare the files two builds write).
            let cache = tempfile::tempdir().unwrap();
            let opts = IndexOptions {
                cache_dir: Some(cache.path().to_path_buf()),
                index_dir: args.get(2).map(PathBuf::from),
                ..IndexOptions::default()
            };
            let (ix, s) = Index::update(Path::new(&args[1]), &opts, &|_| {}).unwrap();
            println!(
                "cold: {:.2} s, {:.1} MB/s",
                s.elapsed.as_secs_f64(),
                s.bytes_read as f64 / 1e6 / s.elapsed.as_secs_f64()
            );
            let mut reasons: std::collections::BTreeMap<&str, usize> = Default::default();
            for f in ix.files() {
                if let FileStatus::Skipped(r) = f.status {
                    *reasons.entry(r.label()).or_default() += 1;
                }
            }
            println!("skipped: {reasons:?}");
            println!("phases: {:?}", s.phases);
        }
        Some("quality") => quality(Path::new(&args[1]), Path::new(&args[2])),
        _ => println!("usage: context (index <corpus> [queries] | quality <repo> <questions.tsv>)"),
    }
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Resets the peak RSS (VmHWM) to the current RSS, so the next [`peak_rss_mib`] is the peak of
/// one phase; `false` where the kernel does not allow it.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Current RSS (VmRSS) in MiB.
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// CPU seconds (user + system) this process has used so far.
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn index_bench(corpus: &Path, queries: Option<PathBuf>) {
    let cache = tempfile::tempdir().unwrap();
    let opts = IndexOptions {
        cache_dir: Some(cache.path().to_path_buf()),
        ..IndexOptions::default()
    };
    let quiet = |_| {};

    let cpu0 = cpu_secs();
    let (ix, s) = Index::update(corpus, &opts, &quiet).unwrap();
    let cpu = cpu_secs() - cpu0;
    let secs = s.elapsed.as_secs_f64();
    println!(
        "cold: {} files ({} indexed, {} skipped), {:.1} MiB read, {} symbols, {} chunks, index {:.1} MiB, {:.2} s, {:.1} MB/s",
        s.files,
        s.indexed,
        s.skipped,
        s.bytes_read as f64 / 1048576.0,
        s.symbols,
        s.chunks,
        s.index_bytes as f64 / 1048576.0,
        secs,
        s.bytes_read as f64 / 1e6 / secs
    );
    println!(
        "cold CPU: {cpu:.1} s ({:.2} cores used of 2); {:.1} MB per CPU-second, {:.1} MB/s if both cores were free",
        cpu / secs,
        s.bytes_read as f64 / 1e6 / cpu,
        2.0 * s.bytes_read as f64 / 1e6 / cpu
    );
    println!("peak RSS after cold index: {:.0} MiB", peak_rss_mib());
    drop(ix);
    // From here on each phase's own peak is printed too (the overall peak is the largest of
    // them and the cold index's).
    let mut overall = peak_rss_mib();
    let per_phase = reset_peak_rss();
    let mut phase_peak = |name: &str| {
        if per_phase {
            let p = peak_rss_mib();
            overall = overall.max(p);
            println!(
                "  peak RSS during {name}: {p:.0} MiB (now {:.0} MiB)",
                rss_mib()
            );
            reset_peak_rss();
        }
    };

    // Outside the racy window (files modified within 2 s of an index start are re-hashed).
    std::thread::sleep(Duration::from_millis(2100));
    let (_, s) = Index::update(corpus, &opts, &quiet).unwrap();
    let (_, s2) = Index::update(corpus, &opts, &quiet).unwrap();
    println!(
        "warm no-change: {:.0} ms, {:.0} ms ({} files, wrote {})",
        ms(s.elapsed),
        ms(s2.elapsed),
        s2.files,
        s2.wrote
    );
    phase_peak("the warm re-indexes");

    let (ix, _) = Index::update(corpus, &opts, &quiet).unwrap();
    let targets: Vec<PathBuf> = ix
        .files()
        .iter()
        .filter(|f| f.status == FileStatus::Indexed && f.path.ends_with(".rs"))
        .step_by(97)
        .take(10)
        .map(|f| corpus.join(&f.path))
        .collect();
    drop(ix);
    let later = std::time::SystemTime::now() + Duration::from_secs(1);
    for t in &targets {
        let f = std::fs::File::options().write(true).open(t).unwrap();
        f.set_modified(later).unwrap();
    }
    let (_, s) = Index::update(corpus, &opts, &quiet).unwrap();
    println!(
        "touch 10 (mtime only): {:.0} ms (changed {}, unchanged {})",
        ms(s.elapsed),
        s.changed,
        s.unchanged
    );
    phase_peak("touch 10");
    for t in &targets {
        let mut text = std::fs::read_to_string(t).unwrap();
        text.push_str("\n// edited by the context benchmark\nfn benchmark_edit_marker() {}\n");
        std::fs::write(t, text).unwrap();
    }
    let (ix, s) = Index::update(corpus, &opts, &quiet).unwrap();
    println!(
        "edit 10: {:.0} ms (changed {}, wrote {})",
        ms(s.elapsed),
        s.changed,
        s.wrote
    );
    phase_peak("edit 10");
    // The marker is found in exactly the edited files, ranked first.
    let mut found: Vec<PathBuf> = ix
        .search("benchmark_edit_marker", 10, 1)
        .unwrap()
        .iter()
        .map(|h| corpus.join(&h.path))
        .collect();
    found.sort();
    let mut want = targets.clone();
    want.sort();
    assert_eq!(found, want);
    drop(ix);

    let t = Instant::now();
    let ix = Index::open(corpus, &opts).unwrap().unwrap();
    let open = t.elapsed();
    let t = Instant::now();
    ix.search("warm up", 10, 2).unwrap();
    let first = t.elapsed();
    println!(
        "open: {:.1} ms; first search (loads search.bin): {:.1} ms",
        ms(open),
        ms(first)
    );

    let qs: Vec<String> = match queries {
        Some(p) => std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect(),
        None => vec!["parse json value".into(), "hash map insert".into()],
    };
    let mut lat: Vec<Duration> = Vec::new();
    let mut total_hits = 0;
    for _ in 0..5 {
        for q in &qs {
            let t = Instant::now();
            let hits = ix.search(q, 10, 2).unwrap();
            lat.push(t.elapsed());
            total_hits += hits.len();
        }
    }
    lat.sort();
    let p = |q: f64| ms(lat[((lat.len() - 1) as f64 * q).round() as usize]);
    println!(
        "query latency over {} queries x5: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} hits)",
        qs.len(),
        p(0.5),
        p(0.99),
        p(1.0),
        total_hits
    );
    phase_peak("open + search + queries");
    if per_phase {
        println!("peak RSS over the whole benchmark: {overall:.0} MiB");
    } else {
        println!("peak RSS at end: {:.0} MiB", peak_rss_mib());
    }
}

fn quality(repo: &Path, questions: &Path) {
    let cache = tempfile::tempdir().unwrap();
    let opts = IndexOptions {
        cache_dir: Some(cache.path().to_path_buf()),
        ..IndexOptions::default()
    };
    let (ix, s) = Index::update(repo, &opts, &|_| {}).unwrap();
    println!("indexed {} files, {} symbols", s.indexed, s.symbols);
    let counter = CharEstimate::default();
    let text = std::fs::read_to_string(questions).unwrap();
    let (mut n, mut search_hits, mut ctx_hits5, mut ctx_any) = (0, 0, 0, 0);
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let Some((q, want)) = line.split_once('\t') else {
            continue;
        };
        n += 1;
        // The questions file itself is in the repository: leave it out of the results.
        let mut hits = ix.search(q, 6, 1).unwrap();
        hits.retain(|h| !questions.ends_with(&h.path));
        hits.truncate(5);
        let s_ok = hits.iter().any(|h| h.path == want);
        let snippets = ix.assemble(q, &[], None, 4096, &counter).unwrap();
        let mut files: Vec<&str> = Vec::new();
        for sn in snippets
            .iter()
            .filter(|s| s.kind != SnippetKind::RepoMap && !questions.ends_with(&s.path))
        {
            if !files.contains(&sn.path.as_str()) {
                files.push(&sn.path);
            }
        }
        let c5 = files.iter().take(5).any(|f| *f == want);
        let c_any = files.contains(&want);
        search_hits += usize::from(s_ok);
        ctx_hits5 += usize::from(c5);
        ctx_any += usize::from(c_any);
        let top: Vec<&str> = hits.iter().map(|h| h.path.as_str()).collect();
        println!(
            "{} {} {} | {q} -> {want} | search: {}",
            mark(s_ok),
            mark(c5),
            mark(c_any),
            top.join(", ")
        );
    }
    println!(
        "recall@5 search: {search_hits}/{n} = {:.2}; context (first 5 files): {ctx_hits5}/{n} = {:.2}; anywhere in 4096-token context: {ctx_any}/{n} = {:.2}",
        search_hits as f64 / n as f64,
        ctx_hits5 as f64 / n as f64,
        ctx_any as f64 / n as f64
    );
}

fn mark(b: bool) -> &'static str {
    if b { "✓" } else { "✗" }
}
