//! Room for more retrievers: an embedding retriever can be added beside BM25 and the ranked
//! lists merged by reciprocal rank fusion, which needs no score calibration between retrievers.

use rustc_hash::FxHashMap;

/// A chunk identified by file and line range.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ChunkRef {
    /// Path relative to the repository root.
    pub path: String,
    /// First line (1-based).
    pub start_line: u32,
    /// Last line (1-based, inclusive).
    pub end_line: u32,
}

/// Something that ranks chunks for a query (BM25 today; embeddings later).
pub trait Retriever {
    /// Short name for `--explain` output.
    fn name(&self) -> &str;
    /// Up to `n` chunks, best first.
    fn retrieve(&self, query: &str, n: usize) -> crate::Result<Vec<ChunkRef>>;
}

/// Merges ranked lists: each item scores `Σ 1 / (k + rank)` (rank from 1) over the lists it is
/// in; `k = 60` is the usual constant. Best first; ties keep first-seen order.
pub fn reciprocal_rank_fusion(lists: &[Vec<ChunkRef>], k: f32) -> Vec<(ChunkRef, f32)> {
    let mut scores: FxHashMap<&ChunkRef, (f32, usize)> = FxHashMap::default();
    let mut seen = 0usize;
    for list in lists {
        for (rank, item) in list.iter().enumerate() {
            let e = scores.entry(item).or_insert_with(|| {
                seen += 1;
                (0.0, seen)
            });
            e.0 += 1.0 / (k + rank as f32 + 1.0);
        }
    }
    let mut out: Vec<(ChunkRef, f32, usize)> = scores
        .into_iter()
        .map(|(c, (s, o))| (c.clone(), s, o))
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(&b.2)));
    out.into_iter().map(|(c, s, _)| (c, s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(p: &str) -> ChunkRef {
        ChunkRef {
            path: p.to_owned(),
            start_line: 1,
            end_line: 2,
        }
    }

    #[test]
    fn fusion_rewards_agreement() {
        let a = vec![c("x"), c("y"), c("z")];
        let b = vec![c("y"), c("w")];
        let fused = reciprocal_rank_fusion(&[a, b], 60.0);
        let order: Vec<&str> = fused.iter().map(|(r, _)| r.path.as_str()).collect();
        assert_eq!(order, ["y", "x", "w", "z"]);
    }
}
