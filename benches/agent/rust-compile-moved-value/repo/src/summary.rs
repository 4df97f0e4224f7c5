use std::collections::BTreeMap;

use crate::record::Record;

/// Totals over a batch of records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub records: usize,
    /// How many records there are per level, by level name.
    pub per_level: BTreeMap<String, usize>,
    /// Every tag used, sorted, without duplicates.
    pub tags: Vec<String>,
    /// The number of distinct tags (`tags.len()`).
    pub distinct_tags: usize,
}

fn unique_tags(records: &[Record]) -> Vec<String> {
    let mut tags: Vec<String> = records.iter().flat_map(|r| r.tags.iter().cloned()).collect();
    tags.sort();
    tags.dedup();
    tags
}

pub fn summarize(records: &[Record]) -> Summary {
    let mut per_level = BTreeMap::new();
    for record in records {
        *per_level.entry(record.level.clone()).or_insert(0) += 1;
    }
    let tags = unique_tags(records);
    Summary {
        records: records.len(),
        per_level,
        tags,
        distinct_tags: tags.len(),
    }
}
