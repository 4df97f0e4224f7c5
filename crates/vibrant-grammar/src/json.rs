//! The byte-level automaton for one tool call's JSON. The state is small and `Copy`, so masking
//! can clone it at every trie node it visits.

use crate::schema::{Node, NodeId, Schema};

/// Nesting the automaton follows (call object, arguments object, nested objects, a value).
const MAX_DEPTH: usize = 8;
/// Whitespace bytes in a row between JSON tokens (keeps a model from idling in blank space).
const MAX_WS_RUN: u8 = 16;
/// Whitespace bytes allowed after the call's closing brace (before `</tool_call>`).
const MAX_TRAILING_WS: u8 = 2;
/// Digits an integer may have.
const MAX_DIGITS: u8 = 15;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ObjSt {
    /// Before `{`.
    Open,
    /// After `{`: a key or `}`.
    FirstKey,
    /// Inside a key: `kpos` bytes matched, `cands` the properties still possible.
    Key,
    /// After a key: `:`.
    Colon,
    /// After `:`: the value of `prop`.
    Value,
    /// After a value: `,` or `}`.
    AfterValue,
    /// After `,`: a key.
    NextKey,
}

#[derive(Clone, Copy, Debug)]
enum Frame {
    Obj {
        node: NodeId,
        st: ObjSt,
        seen: u64,
        cands: u64,
        kpos: u16,
        prop: u8,
    },
    Str {
        node: NodeId,
        /// Enum choices still possible (unused for free strings).
        cands: u64,
        pos: u16,
        /// 0 none, 1 after `\`, 2..=5 hex digits of `\u` still expected (minus one).
        esc: u8,
        free: bool,
    },
    Int {
        node: NodeId,
        digits: u8,
        neg: bool,
        leading_zero: bool,
        value: i64,
    },
    Lit {
        /// `true` or `false`.
        word: &'static [u8],
        pos: u8,
    },
}

/// Where a call's JSON stands.
#[derive(Clone, Copy, Debug)]
pub(crate) struct JsonState {
    frames: [Option<Frame>; MAX_DEPTH],
    depth: u8,
    ws_run: u8,
    /// The call object closed; `trailing` whitespace bytes followed.
    done: bool,
    trailing: u8,
    /// The tool the call names, once its name is complete.
    tool: Option<u16>,
}

impl JsonState {
    /// Before the call's `{`.
    pub(crate) fn new(schema: &Schema) -> Self {
        let mut frames = [None; MAX_DEPTH];
        frames[0] = Some(Frame::Obj {
            node: schema.call,
            st: ObjSt::Open,
            seen: 0,
            cands: 0,
            kpos: 0,
            prop: 0,
        });
        Self {
            frames,
            depth: 1,
            ws_run: 0,
            done: false,
            trailing: 0,
            tool: None,
        }
    }

    /// The call object is complete (only whitespace may follow).
    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    /// The top frame is a free string outside an escape: every byte but `"`, `\` and control
    /// bytes keeps it there.
    pub(crate) fn in_free_string(&self) -> bool {
        matches!(
            self.top(),
            Some(Frame::Str {
                free: true,
                esc: 0,
                ..
            })
        )
    }

    fn top(&self) -> Option<Frame> {
        self.depth
            .checked_sub(1)
            .and_then(|d| self.frames[usize::from(d)])
    }

    fn set_top(&mut self, f: Frame) {
        if let Some(d) = self.depth.checked_sub(1) {
            self.frames[usize::from(d)] = Some(f);
        }
    }

    fn push(&mut self, f: Frame) -> bool {
        if usize::from(self.depth) >= MAX_DEPTH {
            return false;
        }
        self.frames[usize::from(self.depth)] = Some(f);
        self.depth += 1;
        true
    }

    fn pop(&mut self) {
        if self.depth > 0 {
            self.depth -= 1;
            self.frames[usize::from(self.depth)] = None;
        }
        if self.depth == 0 {
            self.done = true;
        }
    }

    fn ws(&mut self, b: u8) -> Option<bool> {
        if matches!(b, b' ' | b'\n' | b'\t' | b'\r') {
            if self.ws_run >= MAX_WS_RUN {
                return Some(false);
            }
            self.ws_run += 1;
            return Some(true);
        }
        None
    }

    /// Feeds one byte; false when it cannot follow (the state is then unspecified).
    pub(crate) fn feed(&mut self, b: u8, schema: &Schema) -> bool {
        if self.done {
            if matches!(b, b' ' | b'\n') && self.trailing < MAX_TRAILING_WS {
                self.trailing += 1;
                return true;
            }
            return false;
        }
        // An integer ends at the first byte that is not a digit, which its parent then reads:
        // loop at most once more.
        for _ in 0..2 {
            let Some(frame) = self.top() else {
                return false;
            };
            match frame {
                Frame::Obj { .. } => return self.feed_obj(frame, b, schema),
                Frame::Str { .. } => return self.feed_str(frame, b, schema),
                Frame::Lit { word, pos } => {
                    if word.get(usize::from(pos)) != Some(&b) {
                        return false;
                    }
                    if usize::from(pos) + 1 == word.len() {
                        self.pop();
                    } else {
                        self.set_top(Frame::Lit { word, pos: pos + 1 });
                    }
                    return true;
                }
                Frame::Int {
                    node,
                    digits,
                    neg,
                    leading_zero,
                    value,
                } => {
                    let Node::Int { min, max } = schema.nodes[usize::from(node)] else {
                        return false;
                    };
                    if b.is_ascii_digit() {
                        if leading_zero || digits >= MAX_DIGITS {
                            return false;
                        }
                        let d = i64::from(b - b'0');
                        let Some(v) = value.checked_mul(10).and_then(|v| v.checked_add(d)) else {
                            return false;
                        };
                        let leading = digits == 0 && b == b'0';
                        if !viable(neg, v, digits + 1, leading, min, max) {
                            return false;
                        }
                        self.set_top(Frame::Int {
                            node,
                            digits: digits + 1,
                            neg,
                            leading_zero: digits == 0 && b == b'0',
                            value: v,
                        });
                        return true;
                    }
                    if digits == 0 {
                        return false;
                    }
                    let signed = if neg { -value } else { value };
                    if min.is_some_and(|m| signed < m) || max.is_some_and(|m| signed > m) {
                        return false;
                    }
                    self.pop();
                    // Now the parent reads `b`.
                }
            }
        }
        false
    }

    fn feed_str(&mut self, frame: Frame, b: u8, schema: &Schema) -> bool {
        let Frame::Str {
            node,
            cands,
            pos,
            esc,
            free,
        } = frame
        else {
            return false;
        };
        self.ws_run = 0;
        let next = |cands, pos, esc| Frame::Str {
            node,
            cands,
            pos,
            esc,
            free,
        };
        if esc == 1 {
            return match b {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {
                    self.set_top(next(cands, pos.saturating_add(1), 0));
                    true
                }
                b'u' => {
                    self.set_top(next(cands, pos, 5));
                    true
                }
                _ => false,
            };
        }
        if esc >= 2 {
            if !b.is_ascii_hexdigit() {
                return false;
            }
            let esc = if esc == 2 { 0 } else { esc - 1 };
            self.set_top(next(
                cands,
                pos.saturating_add(usize::from(esc == 0) as u16),
                esc,
            ));
            return true;
        }
        if b == b'"' {
            if !free {
                let Node::Str {
                    choices: Some(choices),
                } = &schema.nodes[usize::from(node)]
                else {
                    return false;
                };
                let Some(i) = (0..choices.len())
                    .find(|&i| cands & (1 << i) != 0 && choices[i].len() == usize::from(pos))
                else {
                    return false;
                };
                if node == schema.names {
                    // The call's `name`: the arguments follow this tool's schema.
                    self.tool = Some(i as u16);
                }
            }
            self.pop();
            return true;
        }
        if b < 0x20 {
            return false;
        }
        if b == b'\\' {
            if !free {
                return false;
            }
            self.set_top(next(cands, pos, 1));
            return true;
        }
        if free {
            self.set_top(next(cands, pos.saturating_add(1), 0));
            return true;
        }
        let Node::Str {
            choices: Some(choices),
        } = &schema.nodes[usize::from(node)]
        else {
            return false;
        };
        let mut left = 0u64;
        for (i, c) in choices.iter().enumerate() {
            if cands & (1 << i) != 0 && c.get(usize::from(pos)) == Some(&b) {
                left |= 1 << i;
            }
        }
        if left == 0 {
            return false;
        }
        self.set_top(next(left, pos + 1, 0));
        true
    }

    fn feed_obj(&mut self, frame: Frame, b: u8, schema: &Schema) -> bool {
        let Frame::Obj {
            node,
            st,
            seen,
            cands,
            kpos,
            prop,
        } = frame
        else {
            return false;
        };
        let Node::Obj {
            props,
            required,
            ordered,
        } = &schema.nodes[usize::from(node)]
        else {
            return false;
        };
        let with = |st, seen, cands, kpos, prop| Frame::Obj {
            node,
            st,
            seen,
            cands,
            kpos,
            prop,
        };
        let key_start = |seen: u64| -> u64 {
            let unseen = (0..props.len())
                .filter(|&i| seen & (1 << i) == 0)
                .fold(0u64, |m, i| m | (1 << i));
            if *ordered {
                // Only the first property not yet written.
                unseen & unseen.wrapping_neg()
            } else {
                unseen
            }
        };
        match st {
            ObjSt::Open => {
                if let Some(ok) = self.ws(b) {
                    return ok;
                }
                if b != b'{' {
                    return false;
                }
                self.ws_run = 0;
                self.set_top(with(ObjSt::FirstKey, seen, 0, 0, 0));
                true
            }
            ObjSt::FirstKey | ObjSt::NextKey => {
                if let Some(ok) = self.ws(b) {
                    return ok;
                }
                self.ws_run = 0;
                match b {
                    b'"' => {
                        let c = key_start(seen);
                        if c == 0 {
                            return false;
                        }
                        self.set_top(with(ObjSt::Key, seen, c, 0, 0));
                        true
                    }
                    b'}' if st == ObjSt::FirstKey && seen & required == *required => {
                        self.pop();
                        true
                    }
                    _ => false,
                }
            }
            ObjSt::Key => {
                if b == b'"' {
                    let Some(i) = (0..props.len())
                        .find(|&i| cands & (1 << i) != 0 && props[i].0.len() == usize::from(kpos))
                    else {
                        return false;
                    };
                    self.set_top(with(ObjSt::Colon, seen, 0, 0, i as u8));
                    return true;
                }
                let mut left = 0u64;
                for (i, (name, _)) in props.iter().enumerate() {
                    if cands & (1 << i) != 0 && name.get(usize::from(kpos)) == Some(&b) {
                        left |= 1 << i;
                    }
                }
                if left == 0 {
                    return false;
                }
                self.set_top(with(ObjSt::Key, seen, left, kpos + 1, 0));
                true
            }
            ObjSt::Colon => {
                if let Some(ok) = self.ws(b) {
                    return ok;
                }
                if b != b':' {
                    return false;
                }
                self.ws_run = 0;
                self.set_top(with(ObjSt::Value, seen, 0, 0, prop));
                true
            }
            ObjSt::Value => {
                if let Some(ok) = self.ws(b) {
                    return ok;
                }
                self.ws_run = 0;
                let mut value = props[usize::from(prop)].1;
                if matches!(schema.nodes[usize::from(value)], Node::ToolArgs) {
                    let Some(tool) = self.tool else {
                        return false;
                    };
                    value = schema.tools[usize::from(tool)].1;
                }
                self.set_top(with(ObjSt::AfterValue, seen | (1 << prop), 0, 0, prop));
                let child = match (&schema.nodes[usize::from(value)], b) {
                    (Node::Str { choices }, b'"') => Frame::Str {
                        node: value,
                        cands: choices
                            .as_ref()
                            .map_or(0, |c| (0..c.len()).fold(0u64, |m, i| m | (1 << i))),
                        pos: 0,
                        esc: 0,
                        free: choices.is_none(),
                    },
                    (Node::Int { min, max }, b'0'..=b'9') => {
                        let d = i64::from(b - b'0');
                        if !viable(false, d, 1, b == b'0', *min, *max) {
                            return false;
                        }
                        Frame::Int {
                            node: value,
                            digits: 1,
                            neg: false,
                            leading_zero: b == b'0',
                            value: d,
                        }
                    }
                    (Node::Int { min, .. }, b'-') if min.is_none_or(|m| m < 0) => Frame::Int {
                        node: value,
                        digits: 0,
                        neg: true,
                        leading_zero: false,
                        value: 0,
                    },
                    (Node::Bool, b't') => Frame::Lit {
                        word: b"true",
                        pos: 1,
                    },
                    (Node::Bool, b'f') => Frame::Lit {
                        word: b"false",
                        pos: 1,
                    },
                    (Node::Obj { .. }, b'{') => Frame::Obj {
                        node: value,
                        st: ObjSt::FirstKey,
                        seen: 0,
                        cands: 0,
                        kpos: 0,
                        prop: 0,
                    },
                    _ => return false,
                };
                self.push(child)
            }
            ObjSt::AfterValue => {
                if let Some(ok) = self.ws(b) {
                    return ok;
                }
                self.ws_run = 0;
                match b {
                    b',' if key_start(seen) != 0 => {
                        self.set_top(with(ObjSt::NextKey, seen, 0, 0, 0));
                        true
                    }
                    b'}' if seen & required == *required => {
                        self.pop();
                        true
                    }
                    _ => false,
                }
            }
        }
    }
}

/// Whether an integer that has read `digits` digits of magnitude `value` can still end inside
/// `[min, max]`: now, or after more digits (none after a leading zero). A prefix that cannot
/// would leave the model with no token to continue.
fn viable(
    neg: bool,
    value: i64,
    digits: u8,
    leading_zero: bool,
    min: Option<i64>,
    max: Option<i64>,
) -> bool {
    let (min, max) = (min.unwrap_or(i64::MIN), max.unwrap_or(i64::MAX));
    // The magnitudes that end inside the bounds.
    let (lo, hi) = if neg {
        (max.saturating_neg().max(0), min.saturating_neg())
    } else {
        (min.max(0), max)
    };
    if lo > hi {
        return false;
    }
    let (mut a, mut b) = (value, value);
    let more = if leading_zero {
        0
    } else {
        MAX_DIGITS.saturating_sub(digits)
    };
    for _ in 0..=more {
        if a <= hi && b >= lo {
            return true;
        }
        if a > hi {
            return false;
        }
        a = a.saturating_mul(10);
        b = b.saturating_mul(10).saturating_add(9);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Schema {
        Schema::for_tools(&[
            json!({"type": "function", "function": {"name": "read_file", "parameters": {
                "type": "object",
                "properties": {"path": {"type": "string"}, "start_line": {"type": "integer", "minimum": 1, "maximum": 600}},
                "required": ["path"], "additionalProperties": false}}}),
            json!({"type": "function", "function": {"name": "grep", "parameters": {
                "type": "object",
                "properties": {"pattern": {"type": "string"}, "case_insensitive": {"type": "boolean"},
                               "mode": {"type": "string", "enum": ["fast", "full"]}},
                "required": ["pattern"], "additionalProperties": false}}}),
        ])
        .unwrap()
    }

    fn accepts(text: &str) -> bool {
        let s = schema();
        let mut st = JsonState::new(&s);
        text.bytes().all(|b| st.feed(b, &s)) && st.is_done()
    }

    fn prefix_ok(text: &str) -> bool {
        let s = schema();
        let mut st = JsonState::new(&s);
        text.bytes().all(|b| st.feed(b, &s))
    }

    #[test]
    fn valid_calls_are_accepted() {
        assert!(accepts(
            r#"{"name": "read_file", "arguments": {"path": "src/a.rs"}}"#
        ));
        assert!(accepts(
            r#"{"name":"read_file","arguments":{"start_line":12,"path":"a\"b\\c\u00e9"}}"#
        ));
        assert!(accepts(
            "{\n  \"name\": \"grep\",\n  \"arguments\": {\"pattern\": \"fn main\", \"case_insensitive\": true, \"mode\": \"full\"}\n}\n"
        ));
        assert!(accepts(
            r#"{"name": "grep", "arguments": {"pattern": "x", "case_insensitive": false}}"#
        ));
    }

    #[test]
    fn invalid_calls_are_refused_at_the_first_wrong_byte() {
        // Unknown tool.
        assert!(!prefix_ok(r#"{"name": "delete_everything""#));
        // Arguments before the name.
        assert!(!prefix_ok(r#"{"arguments""#));
        // Unknown argument of the named tool (grep's `pattern` is not read_file's).
        assert!(!prefix_ok(
            r#"{"name": "read_file", "arguments": {"pattern""#
        ));
        // A string where an integer is required, and out-of-range integers.
        assert!(!prefix_ok(
            r#"{"name": "read_file", "arguments": {"start_line": ""#
        ));
        assert!(!prefix_ok(
            r#"{"name": "read_file", "arguments": {"start_line": 0,"#
        ));
        assert!(!prefix_ok(
            r#"{"name": "read_file", "arguments": {"start_line": 601"#
        ));
        assert!(!prefix_ok(
            r#"{"name": "read_file", "arguments": {"start_line": 01"#
        ));
        // Missing required argument.
        assert!(!prefix_ok(
            r#"{"name": "read_file", "arguments": {"start_line": 3}"#
        ));
        // Enum values.
        assert!(!prefix_ok(
            r#"{"name": "grep", "arguments": {"pattern": "x", "mode": "slow""#
        ));
        // Duplicate key, trailing comma, raw newline in a string, bad escape.
        assert!(!prefix_ok(
            r#"{"name": "grep", "arguments": {"pattern": "x", "pattern""#
        ));
        assert!(!prefix_ok(
            r#"{"name": "grep", "arguments": {"pattern": "x",}"#
        ));
        assert!(!prefix_ok(
            "{\"name\": \"grep\", \"arguments\": {\"pattern\": \"a\nb"
        ));
        assert!(!prefix_ok(
            r#"{"name": "grep", "arguments": {"pattern": "\q"#
        ));
        // Nothing after the call but two whitespace bytes.
        let s = schema();
        let mut st = JsonState::new(&s);
        for b in br#"{"name": "grep", "arguments": {"pattern": "x"}}"# {
            assert!(st.feed(*b, &s));
        }
        assert!(st.feed(b'\n', &s) && st.feed(b'\n', &s));
        assert!(!st.feed(b'\n', &s));
        assert!(!st.feed(b'x', &s));
    }
}

#[cfg(test)]
mod viable_tests {
    use super::viable;

    #[test]
    fn integer_prefixes_that_cannot_end_in_range_are_refused() {
        // 5..=9: a "1" can neither stop (too small) nor grow (10 > 9).
        assert!(!viable(false, 1, 1, false, Some(5), Some(9)));
        assert!(viable(false, 7, 1, false, Some(5), Some(9)));
        // 10..=600: "6" can grow to 60..69.
        assert!(viable(false, 6, 1, false, Some(10), Some(600)));
        assert!(!viable(false, 601, 3, false, Some(10), Some(600)));
        // Leading zero: only 0 itself.
        assert!(!viable(false, 0, 1, true, Some(1), None));
        assert!(viable(false, 0, 1, true, Some(0), None));
        // Negative numbers against bounds.
        assert!(!viable(true, 0, 0, false, Some(1), None));
        assert!(viable(true, 3, 1, false, Some(-5), Some(5)));
        assert!(!viable(true, 6, 1, false, Some(-5), Some(5)));
    }
}
