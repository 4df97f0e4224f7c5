//! Tool calls written as text: the Qwen/Hermes format `<tool_call>{"name": …, "arguments": {…}}</tool_call>`
//! that the embedded engine produces (natively for templates with tool support, as a text
//! protocol for the others), the streaming filter that keeps that markup out of the text the
//! user sees, and the prompt section that teaches the protocol to models whose template cannot
//! describe tools.

use serde_json::Value;

/// Opens a call.
pub const CALL_OPEN: &str = "<tool_call>";
/// Closes a call.
pub const CALL_CLOSE: &str = "</tool_call>";

/// A call found in the text, before it gets an id.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedCall {
    pub name: String,
    pub arguments: Value,
}

/// What [`parse_tool_calls`] found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParsedAnswer {
    /// The text outside the calls, trimmed at the end.
    pub text: String,
    pub calls: Vec<ParsedCall>,
    /// Calls that could not be read, each described for the model (what was wrong, the text).
    pub invalid: Vec<String>,
}

/// Splits an answer into text and tool calls.
///
/// Accepts what small models actually write: the tagged format (a missing closing tag at the
/// end of the answer is forgiven), a JSON code fence inside the tags, `"parameters"` for
/// `"arguments"`, and arguments given as a JSON string. Without any tag, an answer that is
/// nothing but one JSON object (or a fenced one) naming a tool in `tool_names` is read as a call
/// too. Anything that looks like a call but does not parse is reported in
/// [`ParsedAnswer::invalid`], never dropped silently.
pub fn parse_tool_calls(answer: &str, tool_names: &[&str]) -> ParsedAnswer {
    let mut out = ParsedAnswer::default();
    let mut rest = answer;
    let mut text = String::new();
    while let Some(at) = rest.find(CALL_OPEN) {
        text.push_str(&rest[..at]);
        let body_start = at + CALL_OPEN.len();
        let (body, next) = match rest[body_start..].find(CALL_CLOSE) {
            Some(end) => (
                &rest[body_start..body_start + end],
                body_start + end + CALL_CLOSE.len(),
            ),
            None => (&rest[body_start..], rest.len()),
        };
        match parse_call_json(body) {
            Ok(call) => out.calls.push(call),
            Err(why) => out
                .invalid
                .push(format!("{why}: {}", shorten(body.trim(), 300))),
        }
        rest = &rest[next..];
    }
    text.push_str(rest);
    if out.calls.is_empty() && out.invalid.is_empty() {
        let bare = strip_fence(text.trim());
        if bare.starts_with('{')
            && let Ok(call) = parse_call_json(bare)
            && tool_names.contains(&call.name.as_str())
        {
            out.calls.push(call);
            text.clear();
        } else if let Some((at, call)) =
            first_fenced_call(&text, tool_names).or_else(|| first_inline_call(&text, tool_names))
        {
            // A model that writes its calls as JSON code blocks usually writes several in a
            // row, each planned without seeing the previous result: only the first runs.
            out.calls.push(call);
            text.truncate(at);
        }
    }
    out.text = text.trim_end().to_owned();
    out
}

/// The first fenced code block in `text` that is a call of a known tool: its byte offset and
/// the call.
fn first_fenced_call(text: &str, tool_names: &[&str]) -> Option<(usize, ParsedCall)> {
    let mut from = 0;
    while let Some(rel) = text[from..].find("```") {
        let start = from + rel;
        let body_start = start + 3;
        let end = text[body_start..].find("```").map(|e| body_start + e)?;
        let block = &text[start..end + 3];
        if let Ok(call) = parse_call_json(block)
            && tool_names.contains(&call.name.as_str())
        {
            return Some((start, call));
        }
        from = end + 3;
    }
    None
}

/// The first JSON object in `text` that starts with a `"name"` key naming a known tool
/// (`{"name": "read_file", "arguments": {…}}` written as plain text), with anything after it
/// ignored: its byte offset and the call.
fn first_inline_call(text: &str, tool_names: &[&str]) -> Option<(usize, ParsedCall)> {
    let mut from = 0;
    while let Some(rel) = text[from..].find('{') {
        let at = from + rel;
        let after = text[at + 1..].trim_start();
        if after.starts_with("\"name\"") {
            let mut values = serde_json::Deserializer::from_str(&text[at..]).into_iter::<Value>();
            if let Some(Ok(value)) = values.next()
                && let Ok(call) = parse_call_json(&value.to_string())
                && tool_names.contains(&call.name.as_str())
            {
                return Some((at, call));
            }
        }
        from = at + 1;
    }
    None
}

fn strip_fence(s: &str) -> &str {
    let Some(inner) = s.strip_prefix("```") else {
        return s;
    };
    let inner = inner.strip_suffix("```").unwrap_or(inner);
    // Drop the info string (`json`) on the fence line.
    match inner.find('\n') {
        Some(nl) if !inner[..nl].contains('{') => inner[nl + 1..].trim(),
        _ => inner.trim(),
    }
}

fn parse_call_json(body: &str) -> Result<ParsedCall, String> {
    let body = strip_fence(body.trim());
    if body.is_empty() {
        return Err("empty tool call".to_owned());
    }
    let value: Value =
        serde_json::from_str(body).map_err(|e| format!("tool call is not valid JSON ({e})"))?;
    let Value::Object(mut obj) = value else {
        return Err("tool call is not a JSON object".to_owned());
    };
    let name = match obj.remove("name") {
        Some(Value::String(n)) if !n.trim().is_empty() => n.trim().to_owned(),
        Some(_) => return Err("tool call \"name\" is not a string".to_owned()),
        None => return Err("tool call has no \"name\"".to_owned()),
    };
    let arguments = match obj.remove("arguments").or_else(|| obj.remove("parameters")) {
        None | Some(Value::Null) => Value::Object(serde_json::Map::new()),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(&s) {
            Ok(v @ Value::Object(_)) => v,
            _ => Value::String(s),
        },
        Some(v) => v,
    };
    Ok(ParsedCall { name, arguments })
}

fn shorten(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Passes streamed text through until a tool call starts, then holds everything back (the
/// calls are reported as [`crate::ToolCall`]s, not as text). Text that might be the start of
/// `<tool_call>` is held until it is clear.
#[derive(Debug, Default)]
pub(crate) struct CallFilter {
    pending: String,
    in_call: bool,
}

impl CallFilter {
    pub(crate) fn push(&mut self, piece: &str, emit: &mut dyn FnMut(&str)) {
        if self.in_call {
            return;
        }
        self.pending.push_str(piece);
        if let Some(at) = self.pending.find(CALL_OPEN) {
            let before = self.pending[..at].trim_end();
            if !before.is_empty() {
                emit(before);
            }
            self.pending.clear();
            self.in_call = true;
            return;
        }
        // Keep the longest suffix that is a prefix of the tag.
        let keep = (1..CALL_OPEN.len().min(self.pending.len() + 1))
            .rev()
            .find(|&n| {
                self.pending.is_char_boundary(self.pending.len() - n)
                    && CALL_OPEN.starts_with(&self.pending[self.pending.len() - n..])
            })
            .unwrap_or(0);
        let cut = self.pending.len() - keep;
        if cut > 0 {
            emit(&self.pending[..cut]);
            self.pending.drain(..cut);
        }
    }

    pub(crate) fn finish(&mut self, emit: &mut dyn FnMut(&str)) {
        if !self.in_call && !self.pending.is_empty() {
            emit(&self.pending);
        }
        self.pending.clear();
    }
}

/// The system-prompt section that teaches the text protocol to a model whose chat template has
/// no tool support: one line per tool with its arguments, then the call format.
pub fn text_protocol_prompt(tools: &[Value]) -> String {
    let mut s = String::from(
        "# Tools\n\nYou can call these tools. To call one, answer with a JSON object inside tags, \
         and nothing after it:\n<tool_call>\n{\"name\": \"tool_name\", \"arguments\": {\"arg\": \"value\"}}\n</tool_call>\n\
         The result comes back in the next message.\n\n",
    );
    for t in tools {
        let f = t.get("function").unwrap_or(t);
        let name = f.get("name").and_then(Value::as_str).unwrap_or("?");
        let desc = f
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .split(". ")
            .next()
            .unwrap_or("");
        let params = f.get("parameters");
        let required: Vec<&str> = params
            .and_then(|p| p.get("required"))
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let args: Vec<String> = params
            .and_then(|p| p.get("properties"))
            .and_then(Value::as_object)
            .map(|props| {
                props
                    .iter()
                    .map(|(k, v)| {
                        let ty = v.get("type").and_then(Value::as_str).unwrap_or("any");
                        let opt = if required.contains(&k.as_str()) {
                            ""
                        } else {
                            "?"
                        };
                        format!("{k}{opt}: {ty}")
                    })
                    .collect()
            })
            .unwrap_or_default();
        s.push_str(&format!("- {name}({}) — {desc}\n", args.join(", ")));
    }
    s
}

/// A tool call as the text protocol writes it (for replaying an assistant turn).
pub fn render_call(name: &str, arguments: &Value) -> String {
    let call = serde_json::json!({"name": name, "arguments": arguments});
    format!("{CALL_OPEN}\n{call}\n{CALL_CLOSE}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tagged_calls_and_text() {
        let a = parse_tool_calls(
            "I will read it.\n<tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"a.rs\"}}\n</tool_call>\n<tool_call>{\"name\":\"git_status\",\"arguments\":{}}</tool_call>",
            &[],
        );
        assert_eq!(a.text, "I will read it.");
        assert_eq!(a.calls.len(), 2);
        assert_eq!(a.calls[0].name, "read_file");
        assert_eq!(a.calls[0].arguments, json!({"path": "a.rs"}));
        assert_eq!(a.calls[1].name, "git_status");
        assert!(a.invalid.is_empty());
    }

    #[test]
    fn forgiving_forms() {
        // Missing close tag at the end, fenced JSON, "parameters", string arguments.
        let a = parse_tool_calls(
            "<tool_call>\n```json\n{\"name\": \"grep\", \"parameters\": \"{\\\"pattern\\\": \\\"fn main\\\"}\"}\n```",
            &[],
        );
        assert_eq!(a.calls.len(), 1, "{a:?}");
        assert_eq!(a.calls[0].arguments, json!({"pattern": "fn main"}));
        // Bare JSON naming a known tool.
        let a = parse_tool_calls(
            "```json\n{\"name\": \"list_dir\", \"arguments\": {\"path\": \".\"}}\n```",
            &["list_dir"],
        );
        assert_eq!(a.calls.len(), 1);
        assert_eq!(a.text, "");
        // Several fenced calls: the first one runs, the text before it is kept.
        let a = parse_tool_calls(
            "Plan:\n1. read\n\n```json\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"a\"}}\n```\n\n```json\n{\"name\": \"grep\", \"arguments\": {\"pattern\": \"x\"}}\n```\nThen done.",
            &["read_file", "grep"],
        );
        assert_eq!(a.calls.len(), 1);
        assert_eq!(a.calls[0].name, "read_file");
        assert_eq!(a.text, "Plan:\n1. read");
        // A call written inline, followed by an invented tool response.
        let a = parse_tool_calls(
            "{\"name\": \"list_dir\", \"arguments\": {\"path\": \".\"}}\n<tool_response>\n. (1 file)\n</tool_response>",
            &["list_dir"],
        );
        assert_eq!(a.calls.len(), 1);
        assert_eq!(a.calls[0].arguments, json!({"path": "."}));
        assert_eq!(a.text, "");
        // A fenced block that is code, not a call, stays text.
        let a = parse_tool_calls("```rust\nfn main() {}\n```", &["read_file"]);
        assert!(a.calls.is_empty());
        // Bare JSON that is not a tool stays text.
        let a = parse_tool_calls("{\"name\": \"Bob\"}", &["list_dir"]);
        assert!(a.calls.is_empty());
        assert_eq!(a.text, "{\"name\": \"Bob\"}");
    }

    #[test]
    fn malformed_calls_are_reported() {
        let a = parse_tool_calls(
            "<tool_call>{\"name\": \"read_file\", \"arguments\": {\"path\": \"a\",}}</tool_call>",
            &[],
        );
        assert!(a.calls.is_empty());
        assert_eq!(a.invalid.len(), 1);
        assert!(a.invalid[0].contains("not valid JSON"), "{:?}", a.invalid);
        let a = parse_tool_calls("<tool_call>{\"arguments\": {}}</tool_call>", &[]);
        assert!(a.invalid[0].contains("no \"name\""));
    }

    #[test]
    fn filter_hides_calls_across_pieces() {
        let mut f = CallFilter::default();
        let mut seen = String::new();
        for piece in [
            "Let me look",
            ".\n<tool",
            "_call>\n{\"name\"",
            ": \"x\"}",
            "</tool_call>",
        ] {
            f.push(piece, &mut |s| seen.push_str(s));
        }
        f.finish(&mut |s| seen.push_str(s));
        assert_eq!(seen.trim_end(), "Let me look.");
        // A '<' that is not a tag is released.
        let mut f = CallFilter::default();
        let mut seen = String::new();
        for piece in ["a <", "b> c <t", "d"] {
            f.push(piece, &mut |s| seen.push_str(s));
        }
        f.finish(&mut |s| seen.push_str(s));
        assert_eq!(seen, "a <b> c <td");
    }

    #[test]
    fn text_protocol_lists_tools() {
        let tools = vec![json!({"type": "function", "function": {
            "name": "read_file", "description": "Read a file. More.",
            "parameters": {"type": "object", "properties": {"path": {"type": "string"}, "start_line": {"type": "integer"}}, "required": ["path"]}
        }})];
        let p = text_protocol_prompt(&tools);
        assert!(
            p.contains("- read_file(path: string, start_line?: integer) — Read a file"),
            "{p}"
        );
        assert!(p.contains(CALL_OPEN));
        let call = render_call("read_file", &json!({"path": "a"}));
        let back = parse_tool_calls(&call, &[]);
        assert_eq!(back.calls[0].arguments, json!({"path": "a"}));
    }
}
