//! Streaming construction of `search.bin` (chunk table and inverted index).
//!
//! Files are added one at a time, in index order, as their blobs are written: no blob has to
//! stay in memory. Memory is kept to what the finished index needs, plus a little:
//! - term texts one after another in one byte arena, looked up by a 64-bit hash (no string or
//!   map entry allocated per term);
//! - each term's delta-encoded `(chunk, tf)` varints in a chain of blocks inside one shared
//!   pool (block capacity doubles along a chain), instead of a `Vec` per term;
//! - the file is written through a buffer at the end, terms in byte order, never assembled in
//!   memory.

use std::io::Write;

use rayon::slice::ParallelSliceMut;
use rustc_hash::FxHashMap;

use crate::codec::{DResult, DecodeError, Reader, Writer};

/// Payload bytes of a term's first block; most terms occur in one or two chunks.
const FIRST_BLOCK: u32 = 8;
/// Largest block payload.
const MAX_BLOCK: u32 = 4096;
/// Each block starts with the pool offset of the next block (0 = none yet).
const HEADER: u32 = 4;

/// One term's posting list and statistics while the index is built.
struct Term {
    /// High half of the text's xxh3-128 (the low half is its key in `by_hash`).
    check: u64,
    /// Offset of the text in `arena`.
    text_off: u32,
    text_len: u32,
    /// Pool offset of the first and the current (last) block.
    head: u32,
    tail: u32,
    /// Payload bytes left in the current block.
    room: u32,
    /// Capacity of the current block.
    cap: u32,
    /// Bytes of postings so far.
    len: u32,
    /// Last chunk id with this term, document frequency.
    last: u32,
    df: u32,
}

/// Builds `search.bin` one file at a time.
pub(crate) struct SearchBuilder {
    by_hash: FxHashMap<u64, u32>,
    /// Terms whose hash another term already has, keyed by their text.
    collided: FxHashMap<Box<[u8]>, u32>,
    arena: Vec<u8>,
    terms: Vec<Term>,
    pool: Vec<u8>,
    chunks: Writer,
    n_chunks: u32,
    total_len: u64,
    /// Local term id → global id, for the file being added.
    map: Vec<u32>,
    /// A pool, arena or chunk id passed 4 GiB (the format's offsets are 32-bit).
    overflow: bool,
}

/// Writes `v` as a LEB128 varint at the start of `out` (at least 10 bytes); returns its length.
fn var_into(mut v: u64, out: &mut [u8]) -> usize {
    let mut n = 0;
    while v >= 0x80 {
        out[n] = (v as u8) | 0x80;
        v >>= 7;
        n += 1;
    }
    out[n] = v as u8;
    n + 1
}

impl SearchBuilder {
    pub(crate) fn new() -> Self {
        Self {
            by_hash: FxHashMap::default(),
            collided: FxHashMap::default(),
            arena: Vec::new(),
            terms: Vec::new(),
            // Offset 0 is reserved ("no next block").
            pool: vec![0; HEADER as usize],
            chunks: Writer::new(),
            n_chunks: 0,
            total_len: 0,
            map: Vec::new(),
            overflow: false,
        }
    }

    /// Chunks added so far.
    pub(crate) fn chunk_count(&self) -> usize {
        self.n_chunks as usize
    }

    fn intern(&mut self, t: &[u8]) -> u32 {
        // A 128-bit hash: the low half finds the term, the high half (kept in its record, which
        // the postings touch anyway) confirms it without reading the text back from the arena.
        // Two terms with the same 128-bit hash would be merged; the index already takes xxh3-128
        // equality for "same file content".
        let h = xxhash_rust::xxh3::xxh3_128(t);
        let (key, check) = (h as u64, (h >> 64) as u64);
        if let Some(&id) = self.by_hash.get(&key) {
            if self.terms[id as usize].check == check {
                return id;
            }
            if let Some(&id) = self.collided.get(t) {
                return id;
            }
            let id = self.add_term(t, check);
            self.collided.insert(t.into(), id);
            return id;
        }
        let id = self.add_term(t, check);
        self.by_hash.insert(key, id);
        id
    }

    fn add_term(&mut self, t: &[u8], check: u64) -> u32 {
        let id = self.terms.len() as u32;
        let text_off = self.offset32(self.arena.len());
        self.arena.extend_from_slice(t);
        self.terms.push(Term {
            check,
            text_off,
            text_len: t.len() as u32,
            head: 0,
            tail: 0,
            room: 0,
            cap: 0,
            len: 0,
            last: 0,
            df: 0,
        });
        id
    }

    fn offset32(&mut self, v: usize) -> u32 {
        u32::try_from(v).unwrap_or_else(|_| {
            self.overflow = true;
            0
        })
    }

    /// Appends `bytes` to term `id`'s chain.
    fn append(&mut self, id: u32, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let (room, tail, cap) = {
                let e = &self.terms[id as usize];
                (e.room, e.tail, e.cap)
            };
            if room == 0 {
                let cap = if cap == 0 {
                    FIRST_BLOCK
                } else {
                    (cap * 2).min(MAX_BLOCK)
                };
                let at = self.offset32(self.pool.len());
                self.pool
                    .resize(self.pool.len() + (HEADER + cap) as usize, 0);
                let e = &mut self.terms[id as usize];
                if e.head == 0 {
                    e.head = at;
                } else {
                    let t = tail as usize;
                    self.pool[t..t + HEADER as usize].copy_from_slice(&at.to_le_bytes());
                }
                e.tail = at;
                e.room = cap;
                e.cap = cap;
                continue;
            }
            let n = bytes.len().min(room as usize);
            let at = (tail + HEADER + cap - room) as usize;
            self.pool[at..at + n].copy_from_slice(&bytes[..n]);
            let e = &mut self.terms[id as usize];
            e.room -= n as u32;
            e.len += n as u32;
            bytes = &bytes[n..];
        }
    }

    /// Adds the chunks of file `file` (its index in files.bin) from the chunk section of its
    /// blob; `r` is positioned after the syntax section.
    pub(crate) fn add_file(&mut self, file: usize, r: &mut Reader<'_>) -> DResult<()> {
        let n_local = r.len()?;
        self.map.clear();
        for _ in 0..n_local {
            let t = r.str()?;
            let id = self.intern(t.as_bytes());
            self.map.push(id);
        }
        let n = r.len()?;
        for _ in 0..n {
            let start = r.var()?;
            let end = r.var()?;
            let label = r.str()?;
            let k = r.len()?;
            let mut len = 0u64;
            for _ in 0..k {
                let local = r.var()? as usize;
                let tf = r.var32()?;
                len += u64::from(tf);
                if let Some(&g) = self.map.get(local) {
                    let e = &mut self.terms[g as usize];
                    let delta = self.n_chunks - e.last;
                    e.last = self.n_chunks;
                    e.df += 1;
                    let mut both = [0u8; 20];
                    let a = var_into(u64::from(delta), &mut both);
                    let b = var_into(u64::from(tf), &mut both[a..]);
                    self.append(g, &both[..a + b]);
                }
            }
            self.chunks.var(file as u64);
            self.chunks.var(start);
            self.chunks.var(end);
            self.chunks.var(len);
            self.chunks.str(label);
            self.total_len += len;
            self.n_chunks = match self.n_chunks.checked_add(1) {
                Some(n) => n,
                None => {
                    self.overflow = true;
                    self.n_chunks
                }
            };
        }
        Ok(())
    }

    /// Writes the finished index to `out` in the search.bin format; returns the bytes written.
    pub(crate) fn finish(self, out: &mut impl Write) -> std::io::Result<u64> {
        if self.overflow {
            return Err(std::io::Error::other(
                "the search index would pass 4 GiB; index a smaller part of the repository",
            ));
        }
        let text = |e: &Term| {
            let s = e.text_off as usize;
            &self.arena[s..s + e.text_len as usize]
        };
        // Terms in byte order. Sorted by their first 8 bytes (big-endian, zero-padded: terms hold
        // no zero bytes) held in the sort keys, the full texts compared only on a tie: most
        // comparisons touch no arena memory. On both cores (the workers are done by now).
        let mut keys: Vec<(u64, u32)> = self
            .terms
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let t = text(e);
                let mut p = [0u8; 8];
                let n = t.len().min(8);
                p[..n].copy_from_slice(&t[..n]);
                (u64::from_be_bytes(p), i as u32)
            })
            .collect();
        keys.par_sort_unstable_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| text(&self.terms[a.1 as usize]).cmp(text(&self.terms[b.1 as usize])))
        });
        let order: Vec<u32> = keys.into_iter().map(|k| k.1).collect();
        let mut head = Writer::new();
        head.buf.extend_from_slice(crate::index::SEARCH_MAGIC);
        head.var(u64::from(crate::index::FORMAT_VERSION));
        head.var(u64::from(self.n_chunks));
        head.f32(if self.n_chunks == 0 {
            1.0
        } else {
            (self.total_len as f64 / f64::from(self.n_chunks)) as f32
        });
        let mut written = 0u64;
        let mut put = |out: &mut dyn Write, b: &[u8]| -> std::io::Result<()> {
            written += b.len() as u64;
            out.write_all(b)
        };
        put(out, &head.buf)?;
        put(out, &self.chunks.buf)?;
        let mut w = Writer::new();
        w.var(order.len() as u64);
        for &t in &order {
            let e = &self.terms[t as usize];
            w.str_bytes(text(e));
            w.var(u64::from(e.df));
            w.var(u64::from(e.len));
            // The chain: every block full except the last.
            let mut left = e.len;
            let mut block = e.head;
            let mut cap = FIRST_BLOCK;
            while left > 0 && block != 0 {
                let s = (block + HEADER) as usize;
                let n = left.min(cap);
                w.buf.extend_from_slice(&self.pool[s..s + n as usize]);
                left -= n;
                let h = block as usize;
                let mut next = [0u8; 4];
                next.copy_from_slice(&self.pool[h..h + HEADER as usize]);
                block = u32::from_le_bytes(next);
                cap = (cap * 2).min(MAX_BLOCK);
            }
            if w.buf.len() >= 1 << 16 {
                put(out, &w.buf)?;
                w.buf.clear();
            }
        }
        put(out, &w.buf)?;
        Ok(written)
    }
}

/// Skips the syntax section of a blob; `r` is then positioned at the chunk section.
pub(crate) fn skip_syntax(r: &mut Reader<'_>) -> DResult<()> {
    let n = r.len()?;
    r.bytes(n)?;
    Ok(())
}

/// Adds one blob's chunks; a damaged blob is logged and left out of search.
pub(crate) fn add_blob(sb: &mut SearchBuilder, file: usize, path: &str, blob: &[u8]) {
    let mut r = Reader::new(blob);
    let res: DResult<()> = skip_syntax(&mut r).and_then(|()| sb.add_file(file, &mut r));
    if let Err(DecodeError { offset, reason }) = res {
        tracing::warn!(path, offset, reason, "damaged file data; not searchable");
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// A blob with an empty syntax section and the given chunks of (local term, tf) lists.
    fn blob(local_terms: &[String], chunks: &[Vec<(u32, u32)>]) -> Vec<u8> {
        let mut w = Writer::new();
        w.var(0);
        w.var(local_terms.len() as u64);
        for t in local_terms {
            w.str(t);
        }
        w.var(chunks.len() as u64);
        for (i, c) in chunks.iter().enumerate() {
            w.var(i as u64 + 1);
            w.var(i as u64 + 2);
            w.str("label");
            w.var(c.len() as u64);
            for &(t, tf) in c {
                w.var(u64::from(t));
                w.var(u64::from(tf));
            }
        }
        w.buf
    }

    #[test]
    fn posting_lists_round_trip_across_many_blocks() {
        // Terms from very common (every chunk: chains of many blocks, up to the largest) to
        // rare, with term frequencies that need two-byte varints.
        let mut sb = SearchBuilder::new();
        let mut want: BTreeMap<String, Vec<(u32, u32)>> = BTreeMap::new();
        let mut chunk = 0u32;
        let mut seed = 7u64;
        let mut rand = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as u32
        };
        for file in 0..1000usize {
            let mut local: Vec<String> = vec!["t0".into(), "t1".into()];
            local.extend((0..40).map(|i| format!("u{}", (i * 7 + file) % 97)));
            // Terms sharing their first 8 bytes (the sort's key), some a prefix of another.
            local.push(format!("sharedpr{}", file % 13));
            local.push(format!("sharedprefix{}", file % 17));
            local.push("sharedpr".to_owned());
            local.push(format!("ünïcödé{}", file % 5));
            let mut chunks = Vec::new();
            for _ in 0..(1 + file % 5) {
                let mut c: Vec<(u32, u32)> = Vec::new();
                for (l, t) in local.iter().enumerate() {
                    let common = t == "t0" || t == "t1";
                    if common || rand() % 9 == 0 {
                        let tf = 1 + rand() % 300;
                        c.push((l as u32, tf));
                        want.entry(t.clone()).or_default().push((chunk, tf));
                    }
                }
                chunks.push(c);
                chunk += 1;
            }
            add_blob(&mut sb, file, "f", &blob(&local, &chunks));
        }
        assert_eq!(sb.chunk_count(), chunk as usize);
        let mut out = Vec::new();
        let n = sb.finish(&mut out).unwrap();
        assert_eq!(n, out.len() as u64);

        let mut r = Reader::new(&out);
        assert_eq!(r.bytes(8).unwrap(), crate::index::SEARCH_MAGIC);
        assert_eq!(r.var().unwrap(), u64::from(crate::index::FORMAT_VERSION));
        assert_eq!(r.var().unwrap(), u64::from(chunk));
        r.f32().unwrap();
        for _ in 0..chunk {
            for _ in 0..4 {
                r.var().unwrap();
            }
            assert_eq!(r.str().unwrap(), "label");
        }
        let mut got: BTreeMap<String, Vec<(u32, u32)>> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        let n_terms = r.len().unwrap();
        for _ in 0..n_terms {
            let t = r.str().unwrap().to_owned();
            let df = r.var().unwrap();
            let len = r.len().unwrap();
            let mut p = Reader::new(r.bytes(len).unwrap());
            let mut list = Vec::new();
            let mut c = 0u32;
            while !p.at_end() {
                c += p.var32().unwrap();
                list.push((c, p.var32().unwrap()));
            }
            assert_eq!(df, list.len() as u64, "{t}");
            order.push(t.clone());
            got.insert(t, list);
        }
        assert!(r.at_end());
        assert!(want["t0"].len() > 2500, "t0 in {} chunks", want["t0"].len());
        assert_eq!(got, want);
        // Terms are written in byte order (the reader binary-searches them).
        assert!(order.is_sorted());
    }
}
