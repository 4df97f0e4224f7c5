//! Code-aware terms for full-text search: identifiers are kept whole and also split at
//! `snake_case` and `camelCase`/`PascalCase` boundaries; paths split at `/` and `.`.
//! Everything is lower-cased. `read_tensorData` gives `read_tensordata`, `read`, `tensor`, `data`.

/// Longest term kept; longer runs (hashes, base64) are noise.
const MAX_TERM: usize = 48;

/// Calls `emit` with every term of `text`, in order, with repeats.
pub fn for_each_term(text: &str, mut emit: impl FnMut(&str)) {
    let mut buf = String::new();
    for_each_word(text, |word| {
        for_each_term_of_word(word, &mut buf, &mut emit)
    });
}

/// The terms of one word as [`for_each_word`] yields it (`buf` is scratch space). A word's
/// terms depend on nothing else, so callers may cache them per word.
pub(crate) fn for_each_term_of_word(word: &str, buf: &mut String, mut emit: impl FnMut(&str)) {
    let word = word.trim_matches('_');
    if word.is_empty() || word.len() > MAX_TERM {
        return;
    }
    if word.bytes().all(|b| b.is_ascii_digit()) {
        return;
    }
    let parts = split_identifier(word);
    let whole_is_part = parts.len() == 1;
    lower_into(word, buf);
    stem(buf);
    emit(buf);
    if !whole_is_part {
        for (s, e) in parts.iter() {
            let p = &word[s..e];
            if p.len() < 2 || p.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            lower_into(p, buf);
            stem(buf);
            emit(buf);
        }
    }
}

/// Calls `f` with every maximal run of alphanumeric characters and `_` in `text` (what
/// `text.split(|c: char| !(c.is_alphanumeric() || c == '_'))` yields, without the empty pieces),
/// looking at bytes and decoding only non-ASCII characters.
pub(crate) fn for_each_word<'a>(text: &'a str, mut f: impl FnMut(&'a str)) {
    for_each_word_at(text, |_, w| f(w));
}

/// [`for_each_word`], with each word's byte offset in `text`.
pub(crate) fn for_each_word_at<'a>(text: &'a str, mut f: impl FnMut(usize, &'a str)) {
    let bytes = text.as_bytes();
    let mut start: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (is_word, width) = if b < 0x80 {
            (b.is_ascii_alphanumeric() || b == b'_', 1)
        } else {
            match text.get(i..).and_then(|t| t.chars().next()) {
                Some(c) => (c.is_alphanumeric(), c.len_utf8()),
                None => (false, 1),
            }
        };
        if is_word {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            f(s, &text[s..i]);
        }
        i += width;
    }
    if let Some(s) = start {
        f(s, &text[s..]);
    }
}

/// All terms of `text`, with repeats.
pub fn terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_term(text, |t| out.push(t.to_owned()));
    out
}

/// English words that carry no meaning in a question about code.
pub fn is_stopword(term: &str) -> bool {
    matches!(
        term,
        "a" | "an"
            | "the"
            | "is"
            | "are"
            | "was"
            | "be"
            | "to"
            | "of"
            | "in"
            | "on"
            | "at"
            | "and"
            | "or"
            | "for"
            | "with"
            | "by"
            | "it"
            | "its"
            | "this"
            | "that"
            | "these"
            | "how"
            | "what"
            | "where"
            | "which"
            | "who"
            | "why"
            | "when"
            | "does"
            | "do"
            | "did"
            | "can"
            | "could"
            | "should"
            | "would"
            | "we"
            | "i"
            | "you"
            | "me"
            | "my"
            | "our"
            | "there"
            | "from"
            | "into"
            | "as"
            | "if"
            | "so"
            | "not"
            | "no"
            | "any"
            | "all"
            | "some"
            | "get"
            | "gets"
            | "code"
            | "file"
            | "files"
            | "function"
            | "defined"
            | "implemented"
            | "handled"
            | "happens"
            | "work"
            | "works"
            | "used"
            | "use"
    )
}

/// Query terms: the terms of `query` without stopwords and repeats, in first-seen order.
pub fn query_terms(query: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    // Stopwords are checked before stemming (`does` would stem to `doe`).
    for word in query.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
        if is_stopword(&word.to_lowercase()) {
            continue;
        }
        for_each_term(word, |t| {
            if !out.iter().any(|o| o == t) {
                out.push(t.to_owned());
            }
        });
    }
    out
}

/// A light English suffix stripper, so that `parse`, `parsed`, `parsing` and `parses` (or
/// `model`/`models`, `download`/`downloaded`) meet: `-ies` → `-y`, `-sses` → `-ss`, then a plural
/// `-s`, then `-ing`/`-ed` (undoubling a final consonant: `mapped` → `map`), then a final `-e`.
/// Only ASCII words of 4+ letters are touched; index and query go through the same function.
pub fn stem(w: &mut String) {
    let b = w.as_bytes();
    // Most terms end in none of the stripped letters: decide on the last byte first.
    if b.len() < 4
        || !matches!(b[b.len() - 1], b's' | b'g' | b'd' | b'e')
        || !b.iter().all(u8::is_ascii_lowercase)
    {
        return;
    }
    if w.ends_with("ies") && w.len() > 4 {
        w.truncate(w.len() - 3);
        w.push('y');
        return;
    }
    if w.ends_with("sses") {
        w.truncate(w.len() - 2);
        return;
    }
    if w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") && !w.ends_with("is") {
        w.pop();
    }
    let stripped = if w.len() > 5 && w.ends_with("ing") {
        w.truncate(w.len() - 3);
        true
    } else if w.len() > 4 && w.ends_with("ed") {
        w.truncate(w.len() - 2);
        true
    } else {
        false
    };
    let b = w.as_bytes();
    let n = b.len();
    if stripped
        && n >= 3
        && b[n - 1] == b[n - 2]
        && !matches!(
            b[n - 1],
            b'l' | b's' | b'z' | b'a' | b'e' | b'i' | b'o' | b'u'
        )
    {
        w.pop();
    }
    if w.len() > 4 && w.ends_with('e') {
        w.pop();
    }
}

fn lower_into(s: &str, buf: &mut String) {
    buf.clear();
    if s.is_ascii() {
        buf.push_str(s);
        buf.make_ascii_lowercase();
    } else {
        buf.extend(s.chars().flat_map(char::to_lowercase));
    }
}

/// Byte ranges of the parts of an identifier: split at `_`, at lower→upper, at the last upper of
/// an upper run followed by a lower (`HTTPServer` → `HTTP`, `Server`) and at digit→upper; digits
/// stay with the letters before them (`utf8`, `Int64`).
fn split_identifier(word: &str) -> SmallParts {
    let mut parts = SmallParts::default();
    let mut start: Option<usize> = None;
    let mut prev: Option<char> = None;
    let mut iter = word.char_indices().peekable();
    while let Some((pos, c)) = iter.next() {
        if c == '_' {
            if let Some(s) = start.take() {
                parts.push((s, pos));
            }
            prev = Some(c);
            continue;
        }
        match (start, prev) {
            (Some(s), Some(p)) => {
                let next = iter.peek().map(|&(_, n)| n);
                let boundary = (p.is_lowercase() && c.is_uppercase())
                    || (p.is_uppercase()
                        && c.is_uppercase()
                        && next.is_some_and(char::is_lowercase))
                    || (p.is_ascii_digit() && c.is_uppercase());
                if boundary {
                    parts.push((s, pos));
                    start = Some(pos);
                }
            }
            _ => start = Some(pos),
        }
        prev = Some(c);
    }
    if let Some(s) = start {
        parts.push((s, word.len()));
    }
    parts
}

/// Part ranges without a heap allocation for the common case (up to 8 parts).
#[derive(Default)]
struct SmallParts {
    inline: [(usize, usize); 8],
    len: usize,
    spill: Vec<(usize, usize)>,
}

impl SmallParts {
    fn push(&mut self, r: (usize, usize)) {
        if self.len < self.inline.len() {
            self.inline[self.len] = r;
        } else {
            self.spill.push(r);
        }
        self.len += 1;
    }
    fn len(&self) -> usize {
        self.len
    }
    fn iter(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.inline[..self.len.min(self.inline.len())]
            .iter()
            .copied()
            .chain(self.spill.iter().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_match_a_split_on_non_word_characters() {
        let texts = [
            "fn parse_utf8(s: &str) -> Résultat<Ωmega, ÉtatErreur> { x__y + 42 }",
            "__init__ café naïve 日本語テキスト a1b2 \u{1F600} 😀x😀 end_",
            "",
            "___",
            "ü",
        ];
        for text in texts {
            let expected: Vec<&str> = text
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .filter(|w| !w.is_empty())
                .collect();
            let mut got = Vec::new();
            for_each_word(text, |w| got.push(w));
            assert_eq!(got, expected, "{text}");
        }
    }

    #[test]
    fn splits_identifiers() {
        assert_eq!(
            terms("read_tensorData"),
            ["read_tensordata", "read", "tensor", "data"]
        );
        assert_eq!(terms("HTTPServer"), ["httpserver", "http", "server"]);
        assert_eq!(terms("utf8"), ["utf8"]);
        assert_eq!(terms("parseInt64"), ["parseint64", "pars", "int64"]);
        assert_eq!(terms("src/index.rs"), ["src", "index", "rs"]);
        assert_eq!(terms("__init__ 1234 x"), ["init", "x"]);
        assert_eq!(terms("Größe"), ["größe"]);
    }

    #[test]
    fn stems_meet() {
        let st = |w: &str| {
            let mut s = w.to_owned();
            stem(&mut s);
            s
        };
        for group in [
            &["parse", "parsed", "parsing", "parses"][..],
            &["model", "models"],
            &["download", "downloaded", "downloading", "downloads"],
            &["map", "mapped", "mapping"],
            &["index", "indexed", "indexes", "indexing"],
            &["query", "queries"],
            &["value", "values"],
        ] {
            let first = st(group[0]);
            for w in group {
                assert_eq!(st(w), first, "{w}");
            }
        }
        // Short words, non-ASCII and mixed digits are left alone.
        assert_eq!(st("bus"), "bus");
        assert_eq!(st("class"), "class");
        assert_eq!(st("utf8s"), "utf8s");
    }

    #[test]
    fn query_terms_drop_stopwords_and_repeats() {
        assert_eq!(
            query_terms("How does the index handle the Index?"),
            ["index", "handl"]
        );
    }
}
