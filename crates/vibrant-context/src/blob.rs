//! Encoding one file's entry in `blobs.bin`: a syntax section (symbols, imports, references,
//! error flag) after its byte length, then a chunk section (a file-local term dictionary and,
//! per chunk, its lines, label and `(local term, frequency)` list).
//!
//! The text is split into words once: each distinct word is counted (the references come from
//! these counts), and its terms (split, lower-cased, stemmed, interned) are computed the first
//! time a chunk uses it. All scratch space lives in a per-thread [`Scratch`] reused from file
//! to file, so a worker allocates little besides the blob itself (large allocations between
//! two parses make glibc consolidate the parser's freed nodes, which cost several percent of
//! the indexing CPU).

use std::cell::RefCell;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::codec::Writer;
use crate::syntax::{self, FileSyntax};
use crate::terms;

/// Term-frequency weight added for each term of a symbol name defined in a chunk.
const SYMBOL_BOOST: u32 = 4;
/// Term-frequency weight added for each term of the file's path.
const PATH_BOOST: u32 = 1;
/// Scratch buffers larger than this are given back after a file.
const SCRATCH_KEEP: usize = 4 << 20;

/// A distinct word of the file being encoded.
#[derive(Clone, Copy)]
struct Word {
    /// Byte range of its first occurrence in the text.
    start: usize,
    len: usize,
    /// Occurrences in the text.
    count: u32,
    /// Its term ids: `cached[terms.0..terms.1]`; `terms.1 == u32::MAX` until computed.
    terms: (u32, u32),
}

#[derive(Default)]
struct Scratch {
    syntax: Writer,
    chunks: Writer,
    line_starts: Vec<usize>,
    /// File-local term dictionary: the texts in `arena`, (offset, length) per id in `spans`,
    /// looked up by a 64-bit hash (a term whose hash another has goes to `term_collided`).
    arena: String,
    spans: Vec<(usize, usize)>,
    term_by_hash: FxHashMap<u64, u32>,
    term_collided: FxHashMap<String, u32>,
    /// Distinct words, looked up the same way.
    words: Vec<Word>,
    word_by_hash: FxHashMap<u64, u32>,
    word_collided: FxHashMap<String, u32>,
    /// Term ids of the words, per word a range.
    cached: Vec<u32>,
    /// Every word occurrence: (byte offset, word id), in text order.
    occ: Vec<(usize, u32)>,
    ids: Vec<u32>,
    counts: Vec<u32>,
    touched: Vec<u32>,
    path_ids: Vec<u32>,
    term_buf: String,
    /// References: (byte offset, length, count) of identifier pieces of the text.
    refs: Vec<(usize, usize, u32)>,
}

impl Scratch {
    fn clear(&mut self) {
        let big = |n: usize| n > SCRATCH_KEEP;
        if big(self.syntax.buf.capacity())
            || big(self.chunks.buf.capacity())
            || big(self.occ.capacity() * 16)
        {
            *self = Scratch::default();
            return;
        }
        self.syntax.buf.clear();
        self.chunks.buf.clear();
        self.line_starts.clear();
        self.arena.clear();
        self.spans.clear();
        self.term_by_hash.clear();
        self.term_collided.clear();
        self.words.clear();
        self.word_by_hash.clear();
        self.word_collided.clear();
        self.cached.clear();
        self.occ.clear();
        self.ids.clear();
        self.counts.clear();
        self.touched.clear();
        self.path_ids.clear();
        self.refs.clear();
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

fn hash(s: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(s.as_bytes())
}

/// Local id of term `t`, added to the dictionary when new.
fn intern(
    t: &str,
    arena: &mut String,
    spans: &mut Vec<(usize, usize)>,
    by_hash: &mut FxHashMap<u64, u32>,
    collided: &mut FxHashMap<String, u32>,
) -> u32 {
    let h = hash(t);
    let add = |arena: &mut String, spans: &mut Vec<(usize, usize)>| {
        let id = spans.len() as u32;
        spans.push((arena.len(), t.len()));
        arena.push_str(t);
        id
    };
    match by_hash.get(&h) {
        Some(&id) => {
            let (off, len) = spans[id as usize];
            if &arena[off..off + len] == t {
                return id;
            }
            if let Some(&id) = collided.get(t) {
                return id;
            }
            let id = add(arena, spans);
            collided.insert(t.to_owned(), id);
            id
        }
        None => {
            let id = add(arena, spans);
            by_hash.insert(h, id);
            id
        }
    }
}

impl Scratch {
    fn intern(&mut self, t: &str) -> u32 {
        intern(
            t,
            &mut self.arena,
            &mut self.spans,
            &mut self.term_by_hash,
            &mut self.term_collided,
        )
    }

    /// Id of word `w` of `text` (at byte `start`), counted once more.
    fn add_word(&mut self, text: &str, start: usize, w: &str) -> u32 {
        use std::collections::hash_map::Entry;
        let next = self.words.len() as u32;
        let new = Word {
            start,
            len: w.len(),
            count: 1,
            terms: (0, u32::MAX),
        };
        let id = match self.word_by_hash.entry(hash(w)) {
            Entry::Vacant(v) => {
                v.insert(next);
                next
            }
            Entry::Occupied(o) => {
                let id = *o.get();
                let e = self.words[id as usize];
                if &text[e.start..e.start + e.len] == w {
                    self.words[id as usize].count += 1;
                    return id;
                }
                // Another word with the same hash.
                match self.word_collided.entry(w.to_owned()) {
                    Entry::Occupied(o) => {
                        let id = *o.get();
                        self.words[id as usize].count += 1;
                        return id;
                    }
                    Entry::Vacant(v) => {
                        v.insert(next);
                        next
                    }
                }
            }
        };
        self.words.push(new);
        id
    }

    /// Id of `w` if the text has that word.
    fn find_word(&self, text: &str, w: &str) -> Option<u32> {
        let &id = self.word_by_hash.get(&hash(w))?;
        let e = self.words[id as usize];
        if &text[e.start..e.start + e.len] == w {
            Some(id)
        } else {
            self.word_collided.get(w).copied()
        }
    }

    /// Appends the term ids of word `id` to `self.ids`, computing them on first use.
    fn push_word_terms(&mut self, text: &str, id: u32) {
        let e = self.words[id as usize];
        let (s, end) = if e.terms.1 == u32::MAX {
            let s = self.cached.len() as u32;
            let w = &text[e.start..e.start + e.len];
            let mut buf = std::mem::take(&mut self.term_buf);
            terms::for_each_term_of_word(w, &mut buf, |t| {
                let id = self.intern(t);
                self.cached.push(id);
            });
            self.term_buf = buf;
            let r = (s, self.cached.len() as u32);
            self.words[id as usize].terms = r;
            r
        } else {
            e.terms
        };
        self.ids
            .extend_from_slice(&self.cached[s as usize..end as usize]);
    }

    /// Appends the term ids of `name` (a symbol name) to `self.ids`.
    fn push_name_terms(&mut self, text: &str, name: &str) {
        terms::for_each_word(name, |w| match self.find_word(text, w) {
            Some(id) => self.push_word_terms(text, id),
            None => {
                // A word of a name that the text does not contain as a word.
                let mut buf = std::mem::take(&mut self.term_buf);
                terms::for_each_term_of_word(w, &mut buf, |t| {
                    let id = self.intern(t);
                    self.ids.push(id);
                });
                self.term_buf = buf;
            }
        });
    }
}

/// Encodes the blob of the file at `path` with `text` and `syn`. With `refs_from_text`, the
/// references are counted from the text here (as [`syntax::analyze`] counts them) and
/// `syn.references` is ignored.
pub(crate) fn encode(path: &str, text: &str, syn: &FileSyntax, refs_from_text: bool) -> Vec<u8> {
    encode_with(path, text, syn, refs_from_text, true)
}

/// [`encode`]; `use_order == false` forces the plain scan over all symbols per chunk (the
/// reference the ordered lookup is tested against).
pub(crate) fn encode_with(
    path: &str,
    text: &str,
    syn: &FileSyntax,
    refs_from_text: bool,
    use_order: bool,
) -> Vec<u8> {
    SCRATCH.with(|cell| {
        let mut guard = cell.borrow_mut();
        let sc = &mut *guard;
        sc.clear();
        let blob = encode_in(sc, path, text, syn, refs_from_text, use_order);
        sc.clear();
        blob
    })
}

fn encode_in(
    sc: &mut Scratch,
    path: &str,
    text: &str,
    syn: &FileSyntax,
    refs_from_text: bool,
    use_order: bool,
) -> Vec<u8> {
    // Every word of the text, once.
    let mut occ = std::mem::take(&mut sc.occ);
    terms::for_each_word_at(text, |start, w| {
        let id = sc.add_word(text, start, w);
        occ.push((start, id));
    });
    sc.occ = occ;

    // Syntax section.
    let s = &mut sc.syntax;
    s.var(syn.symbols.len() as u64);
    for sym in &syn.symbols {
        s.str(&sym.name);
        s.u8(sym.kind.code());
        s.var(u64::from(sym.start_line));
        s.var(u64::from(sym.end_line));
        s.str(&sym.signature);
        match &sym.parent {
            Some(p) => {
                s.u8(1);
                s.str(p);
            }
            None => s.u8(0),
        }
    }
    s.var(syn.imports.len() as u64);
    for i in &syn.imports {
        s.str(i);
    }
    if refs_from_text {
        // The pieces of each distinct word that `syntax::analyze` counts as references: runs
        // of ASCII letters, digits and `_` (a word may hold other letters, which separate).
        let defined: FxHashSet<&str> = syn.symbols.iter().map(|s| s.name.as_str()).collect();
        for w in &sc.words {
            let word = &text[w.start..w.start + w.len];
            let mut piece = |off: usize, p: &str| {
                if syntax::is_reference_word(p) && !defined.contains(p) {
                    sc.refs.push((w.start + off, p.len(), w.count));
                }
            };
            if word.is_ascii() {
                piece(0, word);
            } else {
                let b = word.as_bytes();
                let mut i = 0;
                while i < b.len() {
                    if b[i] >= 0x80 {
                        i += 1;
                        continue;
                    }
                    let st = i;
                    while i < b.len() && b[i] < 0x80 {
                        i += 1;
                    }
                    piece(st, &word[st..i]);
                }
            }
        }
        let at = |r: &(usize, usize, u32)| &text[r.0..r.0 + r.1];
        sc.refs.sort_unstable_by(|a, b| at(a).cmp(at(b)));
        // Equal pieces of different words are one reference.
        let mut n = 0usize;
        for i in 0..sc.refs.len() {
            if n > 0 && at(&sc.refs[n - 1]) == at(&sc.refs[i]) {
                sc.refs[n - 1].2 += sc.refs[i].2;
            } else {
                sc.refs[n] = sc.refs[i];
                n += 1;
            }
        }
        sc.refs.truncate(n);
        let s = &mut sc.syntax;
        s.var(sc.refs.len() as u64);
        for r in &sc.refs {
            s.str(at(r));
            s.var(u64::from(r.2));
        }
    } else {
        let s = &mut sc.syntax;
        s.var(syn.references.len() as u64);
        for (name, count) in &syn.references {
            s.str(name);
            s.var(u64::from(*count));
        }
    }
    sc.syntax.u8(u8::from(syn.has_errors));

    // Chunk section.
    sc.line_starts.push(0);
    sc.line_starts.extend(
        text.bytes()
            .enumerate()
            .filter(|&(_, b)| b == b'\n')
            .map(|(i, _)| i + 1),
    );
    let line_byte = |ls: &[usize], line: u32| -> usize {
        let l = line.saturating_sub(1) as usize;
        ls.get(l).copied().unwrap_or(text.len()).min(text.len())
    };
    let mut path_ids = std::mem::take(&mut sc.path_ids);
    terms::for_each_term(path, |t| path_ids.push(sc.intern(t)));
    sc.path_ids = path_ids;
    // Symbols and chunks come in source order (a preorder walk; chunks follow the file), so the
    // symbols starting in a chunk are found by binary search and the enclosing one with a pointer
    // that only moves forward. Anything else takes the plain scan over all symbols.
    let ordered = use_order
        && syn.symbols.is_sorted_by_key(|s| s.start_line)
        && syn.chunks.is_sorted_by_key(|c| c.start_line);
    let mut alive = 0usize;
    sc.chunks.var(syn.chunks.len() as u64);
    for c in &syn.chunks {
        sc.ids.clear();
        let (a, b) = (
            line_byte(&sc.line_starts, c.start_line),
            line_byte(&sc.line_starts, c.end_line + 1),
        );
        // The words starting in [a, b): the chunk body's words (chunks start and end at line
        // starts, and no word spans a line break).
        let first = sc.occ.partition_point(|o| o.0 < a);
        let mut k = first;
        while k < sc.occ.len() && sc.occ[k].0 < b {
            let id = sc.occ[k].1;
            sc.push_word_terms(text, id);
            k += 1;
        }
        for _ in 0..PATH_BOOST {
            sc.ids.extend_from_slice(&sc.path_ids);
        }
        let mut label: &str = "";
        let boost = |sc: &mut Scratch, name: &str| {
            for _ in 0..SYMBOL_BOOST {
                sc.push_name_terms(text, name);
            }
        };
        if ordered {
            let first_inside = syn
                .symbols
                .partition_point(|sym| sym.start_line < c.start_line);
            // The first symbol (in source order) that starts before the chunk and reaches into
            // it: symbols that end before one chunk's start end before every later chunk's too.
            while alive < first_inside && syn.symbols[alive].end_line < c.start_line {
                alive += 1;
            }
            if alive < first_inside {
                label = &syn.symbols[alive].name;
            }
            for sym in syn.symbols[first_inside..]
                .iter()
                .take_while(|sym| sym.start_line <= c.end_line)
            {
                boost(sc, &sym.name);
                if label.is_empty() {
                    label = &sym.name;
                }
            }
        } else {
            for sym in &syn.symbols {
                if sym.start_line >= c.start_line && sym.start_line <= c.end_line {
                    boost(sc, &sym.name);
                    if label.is_empty() {
                        label = &sym.name;
                    }
                } else if label.is_empty()
                    && sym.start_line < c.start_line
                    && sym.end_line >= c.start_line
                {
                    // The first enclosing definition (symbols are in source order).
                    label = &sym.name;
                }
            }
        }
        // Term frequencies by counting (no sort of every occurrence), listed by term id.
        sc.touched.clear();
        for &id in &sc.ids {
            if id as usize >= sc.counts.len() {
                sc.counts.resize(id as usize + 1, 0);
            }
            let n = &mut sc.counts[id as usize];
            if *n == 0 {
                sc.touched.push(id);
            }
            *n += 1;
        }
        sc.touched.sort_unstable();
        let w = &mut sc.chunks;
        w.var(u64::from(c.start_line));
        w.var(u64::from(c.end_line));
        w.str(label);
        w.var(sc.touched.len() as u64);
        for &id in &sc.touched {
            let n = std::mem::take(&mut sc.counts[id as usize]);
            w.var(u64::from(id));
            w.var(u64::from(n));
        }
    }

    // The syntax section goes first, after its byte length (the search build skips it whole).
    let mut head = Writer::new();
    head.var(sc.syntax.buf.len() as u64);
    let mut dict = Writer::new();
    dict.var(sc.spans.len() as u64);
    let dict_len = dict.buf.len()
        + sc.spans
            .iter()
            .map(|&(_, len)| var_len(len as u64) + len)
            .sum::<usize>();
    let mut out =
        Vec::with_capacity(head.buf.len() + sc.syntax.buf.len() + dict_len + sc.chunks.buf.len());
    out.extend_from_slice(&head.buf);
    out.extend_from_slice(&sc.syntax.buf);
    out.extend_from_slice(&dict.buf);
    let mut w = Writer { buf: out };
    for &(off, len) in &sc.spans {
        w.str(&sc.arena[off..off + len]);
    }
    w.buf.extend_from_slice(&sc.chunks.buf);
    w.buf
}

fn var_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}
