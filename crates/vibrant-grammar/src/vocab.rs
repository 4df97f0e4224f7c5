//! The vocabulary as the constraint needs it, built once per model.

use std::collections::HashMap;

use vibrant_tokenizer::Tokenizer;

/// A set of token ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TokenSet {
    words: Vec<u64>,
}

impl TokenSet {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            words: vec![0; n.div_ceil(64)],
        }
    }

    pub(crate) fn insert(&mut self, id: u32) {
        if let Some(w) = self.words.get_mut(id as usize / 64) {
            *w |= 1 << (id % 64);
        }
    }

    pub(crate) fn remove(&mut self, id: u32) {
        if let Some(w) = self.words.get_mut(id as usize / 64) {
            *w &= !(1 << (id % 64));
        }
    }

    pub(crate) fn contains(&self, id: u32) -> bool {
        self.words
            .get(id as usize / 64)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    pub(crate) fn clear(&mut self) {
        self.words.fill(0);
    }

    pub(crate) fn copy_from(&mut self, other: &TokenSet) {
        self.words.copy_from_slice(&other.words);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }
}

/// A byte trie over token texts, in compressed-sparse-row form.
#[derive(Debug, Default)]
pub(crate) struct Trie {
    /// Per node: the range of its children in `child_byte`/`child_node`.
    child_start: Vec<u32>,
    child_byte: Vec<u8>,
    child_node: Vec<u32>,
    /// Per node: the range of the tokens that end there in `tokens`.
    tok_start: Vec<u32>,
    tokens: Vec<u32>,
}

impl Trie {
    fn build(entries: &[(u32, &[u8])]) -> Trie {
        // Build with a map, then lay the nodes out in CSR arrays.
        let mut children: Vec<Vec<(u8, u32)>> = vec![Vec::new()];
        let mut ends: Vec<Vec<u32>> = vec![Vec::new()];
        let mut edges: HashMap<(u32, u8), u32> = HashMap::new();
        for &(id, bytes) in entries {
            let mut node = 0u32;
            for &b in bytes {
                node = *edges.entry((node, b)).or_insert_with(|| {
                    children.push(Vec::new());
                    ends.push(Vec::new());
                    let new = (children.len() - 1) as u32;
                    children[node as usize].push((b, new));
                    new
                });
            }
            ends[node as usize].push(id);
        }
        let mut t = Trie::default();
        for (c, e) in children.iter().zip(&ends) {
            t.child_start.push(t.child_byte.len() as u32);
            for &(b, n) in c {
                t.child_byte.push(b);
                t.child_node.push(n);
            }
            t.tok_start.push(t.tokens.len() as u32);
            t.tokens.extend_from_slice(e);
        }
        t.child_start.push(t.child_byte.len() as u32);
        t.tok_start.push(t.tokens.len() as u32);
        t
    }

    /// Number of nodes.
    pub(crate) fn len(&self) -> usize {
        self.tok_start.len().saturating_sub(1)
    }

    /// Marks in `out` every token whose bytes `step` accepts one by one from `start`, visiting
    /// only the subtrees whose prefix it accepts. Returns the nodes visited.
    pub(crate) fn walk<S: Copy>(
        &self,
        start: S,
        step: &mut dyn FnMut(&mut S, u8) -> bool,
        out: &mut TokenSet,
        stack: &mut Vec<(u32, S)>,
    ) -> usize {
        stack.clear();
        stack.push((0, start));
        let mut visited = 0;
        while let Some((node, state)) = stack.pop() {
            visited += 1;
            let n = node as usize;
            for i in self.child_start[n]..self.child_start[n + 1] {
                let mut s = state;
                if step(&mut s, self.child_byte[i as usize]) {
                    let child = self.child_node[i as usize];
                    let c = child as usize;
                    for &t in
                        &self.tokens[self.tok_start[c] as usize..self.tok_start[c + 1] as usize]
                    {
                        out.insert(t);
                    }
                    stack.push((child, s));
                }
            }
        }
        visited
    }
}

/// One model's vocabulary, prepared for constrained decoding.
#[derive(Debug)]
pub struct Vocab {
    pub(crate) n: usize,
    /// Every text token.
    pub(crate) trie: Trie,
    /// Text tokens with a `"`, `\` or control byte (the ones a free JSON string must check).
    pub(crate) string_special: Trie,
    /// Text tokens that can sit inside a JSON string as they are.
    pub(crate) string_safe: TokenSet,
    /// Text tokens allowed in the agent's prose: no `{`, no `<`, no three backticks.
    pub(crate) prose: TokenSet,
    /// Prose tokens that start with one / two backticks (refused after two / one).
    pub(crate) backtick1: Vec<u32>,
    pub(crate) backtick2: Vec<u32>,
    /// Token bytes of text tokens (empty for special tokens).
    pub(crate) bytes: Vec<Vec<u8>>,
    /// Tokens of only spaces and newlines, at most two bytes.
    pub(crate) blank: Vec<u32>,
    pub(crate) eog: Vec<u32>,
    pub(crate) open: Option<u32>,
    pub(crate) close: Option<u32>,
}

impl Vocab {
    /// Prepares `tokenizer`'s vocabulary (about 0.3 s for a 150k-token vocabulary).
    pub fn new(tokenizer: &Tokenizer) -> Vocab {
        let n = tokenizer.n_vocab();
        let open = tokenizer.token_id("<tool_call>");
        let close = tokenizer.token_id("</tool_call>");
        let mut bytes = Vec::with_capacity(n);
        for id in 0..n as u32 {
            let special = tokenizer.is_control(id)
                || tokenizer.is_user_defined(id)
                || Some(id) == open
                || Some(id) == close;
            bytes.push(if special {
                Vec::new()
            } else {
                tokenizer.token_bytes(id)
            });
        }
        let mut entries = Vec::new();
        let mut special_entries = Vec::new();
        let mut string_safe = TokenSet::new(n);
        let mut prose = TokenSet::new(n);
        let mut backtick1 = Vec::new();
        let mut backtick2 = Vec::new();
        let mut blank = Vec::new();
        for (id, b) in bytes.iter().enumerate() {
            let id = id as u32;
            if b.is_empty() {
                continue;
            }
            entries.push((id, b.as_slice()));
            if b.iter().any(|&c| c == b'"' || c == b'\\' || c < 0x20) {
                special_entries.push((id, b.as_slice()));
            } else {
                string_safe.insert(id);
            }
            let fence = b.windows(3).any(|w| w == b"```");
            if !fence && !b.contains(&b'{') && !b.contains(&b'<') {
                prose.insert(id);
                if b.starts_with(b"``") {
                    backtick2.push(id);
                }
                if b.starts_with(b"`") {
                    backtick1.push(id);
                }
            }
            if b.len() <= 2 && b.iter().all(|&c| c == b'\n' || c == b' ') {
                blank.push(id);
            }
        }
        Vocab {
            n,
            trie: Trie::build(&entries),
            string_special: Trie::build(&special_entries),
            string_safe,
            prose,
            backtick1,
            backtick2,
            bytes,
            blank,
            eog: tokenizer.eog_ids().to_vec(),
            open,
            close,
        }
    }

    /// Whether calls can be constrained: the vocabulary has single tokens for both tags.
    pub fn has_call_tokens(&self) -> bool {
        self.open.is_some() && self.close.is_some()
    }

    /// Nodes in the token trie (for diagnostics).
    pub fn trie_nodes(&self) -> usize {
        self.trie.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trie_walk_finds_tokens_by_prefix() {
        let entries: Vec<(u32, &[u8])> = vec![(0, b"ab"), (1, b"abc"), (2, b"b"), (3, b"ac")];
        let t = Trie::build(&entries);
        let mut out = TokenSet::new(4);
        let mut stack = Vec::new();
        // Accept only 'a' then 'b' then anything.
        t.walk(
            0u8,
            &mut |pos: &mut u8, b| {
                let ok = match *pos {
                    0 => b == b'a',
                    1 => b == b'b',
                    _ => true,
                };
                *pos += 1;
                ok
            },
            &mut out,
            &mut stack,
        );
        assert!(out.contains(0) && out.contains(1));
        assert!(!out.contains(2) && !out.contains(3));
    }
}
