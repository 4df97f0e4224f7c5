//! Chat templates: the model's Jinja `tokenizer.chat_template`, rendered with minijinja in an environment
//! set up like llama.cpp's (trim_blocks, lstrip_blocks, Python string/dict/list methods, `raise_exception`,
//! `strftime_now`, and a `tojson` that prints what llama.cpp prints).

use std::fmt::Write as _;

use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind};
use serde::{Deserialize, Serialize};

use crate::TokenizerError;

/// One chat message, serialized into the template context as `messages[i]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// `system`, `user`, `assistant` or `tool`.
    pub role: String,
    /// The message text (`null` or absent in JSON reads as empty).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub content: String,
    /// Tool calls made by an assistant message (OpenAI shape: `{"type": "function", "function": {…}}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<serde_json::Value>>,
    /// For `tool` messages: the call this is the result of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// For `tool` messages: the tool's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

impl ChatMessage {
    /// A message with just a role and content.
    pub fn new(role: impl Into<String>, content: impl Into<String>) -> Self {
        Self {
            role: role.into(),
            content: content.into(),
            tool_calls: None,
            tool_call_id: None,
            name: None,
        }
    }

    /// A `system` message.
    pub fn system(content: impl Into<String>) -> Self {
        Self::new("system", content)
    }

    /// A `user` message.
    pub fn user(content: impl Into<String>) -> Self {
        Self::new("user", content)
    }

    /// An `assistant` message.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self::new("assistant", content)
    }

    /// A `tool` result message.
    pub fn tool(
        content: impl Into<String>,
        tool_call_id: Option<String>,
        name: Option<String>,
    ) -> Self {
        Self {
            tool_call_id,
            name,
            ..Self::new("tool", content)
        }
    }
}

/// The ChatML template, used when a model has none (what llama.cpp falls back to).
pub const CHATML_TEMPLATE: &str = "{%- for message in messages -%}\
{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}\
{%- endfor -%}\
{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}";

const TEMPLATE_NAME: &str = "chat_template";

/// The work one render may do (minijinja fuel: about one per instruction and one per 64 bytes of
/// data created or processed), so that a hostile template from a model file cannot hang or
/// exhaust memory. A 600-message, 4 MB conversation through a Llama-3.1-style template needs
/// between 100 000 and 500 000; this allows ten times that, which bounds one render to about
/// 320 MB of data and well under a second (release) of work.
pub const TEMPLATE_FUEL: u64 = 5_000_000;

/// A compiled chat template.
pub struct ChatTemplate {
    env: Environment<'static>,
    source: String,
    bos_token: String,
    eos_token: String,
    is_default: bool,
    /// The tokenizer adds BOS itself: a rendered prompt's leading `bos_token` text is removed.
    strip_bos: bool,
    /// The tokenizer adds EOS itself: a rendered prompt's trailing `eos_token` text is removed.
    strip_eos: bool,
}

impl std::fmt::Debug for ChatTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatTemplate")
            .field("source_len", &self.source.len())
            .field("bos_token", &self.bos_token)
            .field("eos_token", &self.eos_token)
            .field("is_default", &self.is_default)
            .finish()
    }
}

#[derive(Serialize)]
struct Context<'a> {
    messages: &'a [ChatMessage],
    #[serde(skip_serializing_if = "Option::is_none")]
    tools: Option<&'a [serde_json::Value]>,
    add_generation_prompt: bool,
    bos_token: &'a str,
    eos_token: &'a str,
}

impl ChatTemplate {
    /// Compiles a Jinja chat template; `bos_token`/`eos_token` are the texts the template sees.
    pub fn from_source(
        source: &str,
        bos_token: &str,
        eos_token: &str,
    ) -> Result<ChatTemplate, TokenizerError> {
        let mut env = environment()?;
        env.add_template_owned(TEMPLATE_NAME, source.to_owned())
            .map_err(TokenizerError::TemplateSyntax)?;
        Ok(ChatTemplate {
            env,
            source: source.to_owned(),
            bos_token: bos_token.to_owned(),
            eos_token: eos_token.to_owned(),
            is_default: false,
            strip_bos: false,
            strip_eos: false,
        })
    }

    /// The ChatML template (`<|im_start|>role\ncontent<|im_end|>\n`).
    pub fn chatml() -> ChatTemplate {
        // The built-in template is known to compile; fall back to an empty environment is impossible, so
        // build it directly.
        let mut env = Environment::new();
        configure(&mut env);
        let is_ok = env.add_template(TEMPLATE_NAME, CHATML_TEMPLATE).is_ok();
        debug_assert!(is_ok, "the built-in ChatML template compiles");
        ChatTemplate {
            env,
            source: CHATML_TEMPLATE.to_owned(),
            bos_token: String::new(),
            eos_token: String::new(),
            is_default: true,
            strip_bos: false,
            strip_eos: false,
        }
    }

    /// The model's template when it has one, else ChatML (logged at info level), set up for
    /// `tokenizer`: it sees the tokenizer's BOS/EOS texts, and when the tokenizer adds BOS (EOS)
    /// itself a leading `bos_token` (trailing `eos_token`) is removed from rendered prompts, as
    /// llama.cpp does to avoid doubling them.
    pub fn for_tokenizer(
        source: Option<&str>,
        tokenizer: &crate::Tokenizer,
    ) -> Result<ChatTemplate, TokenizerError> {
        let text = |id: Option<u32>| {
            id.map(|id| tokenizer.token_text(id).to_owned())
                .unwrap_or_default()
        };
        let (bos, eos) = (text(tokenizer.bos()), text(tokenizer.eos()));
        let t = match source {
            Some(src) if !src.trim().is_empty() => ChatTemplate::from_source(src, &bos, &eos)?,
            _ => {
                tracing::info!("the model has no tokenizer.chat_template; using ChatML");
                let mut t = ChatTemplate::chatml();
                t.bos_token = bos;
                t.eos_token = eos;
                t
            }
        };
        Ok(t.strip_added_specials(tokenizer.add_bos(), tokenizer.add_eos()))
    }

    /// Removes a leading `bos_token` text from rendered prompts when `add_bos`, and a trailing
    /// `eos_token` text when `add_eos` (for prompts then encoded with `add_special = true`).
    pub fn strip_added_specials(mut self, add_bos: bool, add_eos: bool) -> ChatTemplate {
        self.strip_bos = add_bos;
        self.strip_eos = add_eos;
        self
    }

    /// Renders a conversation. `tools` is passed to the template only when given; with
    /// `add_generation_prompt` the template opens the assistant's turn.
    pub fn render(
        &self,
        messages: &[ChatMessage],
        tools: Option<&[serde_json::Value]>,
        add_generation_prompt: bool,
    ) -> Result<String, TokenizerError> {
        let ctx = Context {
            messages,
            tools,
            add_generation_prompt,
            bos_token: &self.bos_token,
            eos_token: &self.eos_token,
        };
        let tmpl = self
            .env
            .get_template(TEMPLATE_NAME)
            .map_err(TokenizerError::TemplateRender)?;
        let mut out = tmpl
            .render(Value::from(minijinja::value::Serde(&ctx)))
            .map_err(|e| {
                if e.kind() == ErrorKind::OutOfFuel {
                    TokenizerError::TemplateTooExpensive {
                        messages: messages.len(),
                        fuel: TEMPLATE_FUEL,
                        source: e,
                    }
                } else {
                    TokenizerError::TemplateRender(e)
                }
            })?;
        if self.strip_bos && !self.bos_token.is_empty() && out.starts_with(&self.bos_token) {
            out.drain(..self.bos_token.len());
        }
        if self.strip_eos && !self.eos_token.is_empty() && out.ends_with(&self.eos_token) {
            out.truncate(out.len() - self.eos_token.len());
        }
        Ok(out)
    }

    /// The template text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether this is the ChatML fallback rather than the model's own template.
    pub fn is_default(&self) -> bool {
        self.is_default
    }

    /// The BOS text the template sees as `bos_token`.
    pub fn bos_token(&self) -> &str {
        &self.bos_token
    }

    /// The EOS text the template sees as `eos_token`.
    pub fn eos_token(&self) -> &str {
        &self.eos_token
    }
}

fn environment() -> Result<Environment<'static>, TokenizerError> {
    let mut env = Environment::new();
    configure(&mut env);
    Ok(env)
}

fn configure(env: &mut Environment<'static>) {
    env.set_fuel(Some(TEMPLATE_FUEL));
    // llama.cpp's defaults: trim_blocks and lstrip_blocks on, keep_trailing_newline off.
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(false)
        .build()
    {
        env.set_syntax(syntax);
    }
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    env.add_function("raise_exception", raise_exception);
    env.add_function("strftime_now", strftime_now);
    env.add_filter("tojson", tojson);
}

fn raise_exception(msg: String) -> Result<Value, Error> {
    Err(Error::new(
        ErrorKind::InvalidOperation,
        format!("template raised an exception: {msg}"),
    ))
}

fn strftime_now(fmt: String) -> Result<String, Error> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Ok(strftime(&fmt, secs))
}

/// Formats a UTC unix time with the common `strftime` conversions.
pub(crate) fn strftime(fmt: &str, unix_secs: i64) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const DAYS: [&str; 7] = [
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ];
    let days = unix_secs.div_euclid(86_400);
    let sod = unix_secs.rem_euclid(86_400);
    let (h, mi, s) = (sod / 3600, (sod % 3600) / 60, sod % 60);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy_mar = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy_mar + 2) / 153;
    let d = doy_mar - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let cum = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let yday = cum[(m - 1) as usize] + d + i64::from(leap && m > 2);
    let wday = (days + 4).rem_euclid(7) as usize; // 1970-01-01 was a Thursday
    let month = MONTHS[(m - 1) as usize];
    let day = DAYS[wday];
    let h12 = if h % 12 == 0 { 12 } else { h % 12 };

    let mut out = String::new();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(spec) = chars.next() else {
            out.push('%');
            break;
        };
        let _ = match spec {
            'Y' => write!(out, "{y}"),
            'y' => write!(out, "{:02}", y.rem_euclid(100)),
            'm' => write!(out, "{m:02}"),
            'd' => write!(out, "{d:02}"),
            'e' => write!(out, "{d:2}"),
            'H' => write!(out, "{h:02}"),
            'I' => write!(out, "{h12:02}"),
            'M' => write!(out, "{mi:02}"),
            'S' => write!(out, "{s:02}"),
            'p' => write!(out, "{}", if h < 12 { "AM" } else { "PM" }),
            'j' => write!(out, "{yday:03}"),
            'B' => write!(out, "{month}"),
            'b' | 'h' => write!(out, "{}", &month[..3]),
            'A' => write!(out, "{day}"),
            'a' => write!(out, "{}", &day[..3]),
            'F' => write!(out, "{y}-{m:02}-{d:02}"),
            'T' => write!(out, "{h:02}:{mi:02}:{s:02}"),
            'Z' => write!(out, "UTC"),
            'z' => write!(out, "+0000"),
            'n' => {
                out.push('\n');
                Ok(())
            }
            't' => {
                out.push('\t');
                Ok(())
            }
            '%' => write!(out, "%"),
            other => write!(out, "%{other}"),
        };
    }
    out
}

/// `tojson` as llama.cpp prints it: `", "` and `": "` separators (`","` between items when indenting),
/// UTF-8 kept as is unless `ensure_ascii=true`, only `"`, `\` and control characters escaped.
/// Accepts `indent`, `separators`, `ensure_ascii` and `sort_keys` keyword arguments.
fn tojson(value: &Value, kwargs: Kwargs) -> Result<Value, Error> {
    let indent: Option<Value> = kwargs.get("indent")?;
    let indent = match indent {
        None => None,
        Some(v) if v.is_none() || v.is_undefined() => None,
        Some(v) => match v.kind() {
            ValueKind::Number => Some(" ".repeat(v.as_usize().unwrap_or(0))),
            ValueKind::String => Some(v.as_str().unwrap_or("").to_owned()),
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidOperation,
                    "tojson: indent must be a number or a string",
                ));
            }
        },
    };
    let separators: Option<Value> = kwargs.get("separators")?;
    let (item_sep, key_sep) = match separators {
        Some(v) if !v.is_none() && !v.is_undefined() => {
            let parts: Vec<Value> = v.try_iter()?.collect();
            match (
                parts.first().and_then(Value::as_str),
                parts.get(1).and_then(Value::as_str),
            ) {
                (Some(a), Some(b)) if parts.len() == 2 => (a.to_owned(), b.to_owned()),
                _ => {
                    return Err(Error::new(
                        ErrorKind::InvalidOperation,
                        "tojson: separators must be a pair of strings",
                    ));
                }
            }
        }
        _ => (
            if indent.is_some() { "," } else { ", " }.to_owned(),
            ": ".to_owned(),
        ),
    };
    let ensure_ascii: Option<bool> = kwargs.get("ensure_ascii")?;
    let sort_keys: Option<bool> = kwargs.get("sort_keys")?;
    kwargs.assert_all_used()?;
    let opts = JsonOpts {
        indent,
        item_sep,
        key_sep,
        ensure_ascii: ensure_ascii.unwrap_or(false),
        sort_keys: sort_keys.unwrap_or(false),
    };
    let mut out = String::new();
    write_json(&mut out, value, &opts, 0)?;
    Ok(Value::from_safe_string(out))
}

struct JsonOpts {
    indent: Option<String>,
    item_sep: String,
    key_sep: String,
    ensure_ascii: bool,
    sort_keys: bool,
}

fn newline(out: &mut String, opts: &JsonOpts, level: usize) {
    if let Some(ind) = &opts.indent {
        out.push('\n');
        for _ in 0..level {
            out.push_str(ind);
        }
    }
}

fn write_json(out: &mut String, v: &Value, opts: &JsonOpts, level: usize) -> Result<(), Error> {
    match v.kind() {
        ValueKind::Undefined | ValueKind::None => out.push_str("null"),
        ValueKind::Bool => out.push_str(if v.is_true() { "true" } else { "false" }),
        ValueKind::Number => {
            if v.is_integer() {
                let _ = write!(out, "{v}");
            } else {
                let f = f64::try_from(v.clone()).unwrap_or(f64::NAN);
                if !f.is_finite() {
                    out.push_str(if f.is_nan() {
                        "NaN"
                    } else if f > 0.0 {
                        "Infinity"
                    } else {
                        "-Infinity"
                    });
                } else if f.fract() == 0.0 && f.abs() < 1e16 {
                    let _ = write!(out, "{f:.1}");
                } else {
                    let _ = write!(out, "{f}");
                }
            }
        }
        ValueKind::String => write_json_str(out, v.as_str().unwrap_or(""), opts.ensure_ascii),
        ValueKind::Bytes => write_json_str(out, &v.to_string(), opts.ensure_ascii),
        ValueKind::Seq | ValueKind::Iterable => {
            let items: Vec<Value> = v.try_iter()?.collect();
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(&opts.item_sep);
                }
                newline(out, opts, level + 1);
                write_json(out, item, opts, level + 1)?;
            }
            newline(out, opts, level);
            out.push(']');
        }
        ValueKind::Map => {
            let mut keys: Vec<Value> = v.try_iter()?.collect();
            if keys.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            if opts.sort_keys {
                keys.sort_by_key(|k| k.to_string());
            }
            out.push('{');
            for (i, key) in keys.iter().enumerate() {
                if i > 0 {
                    out.push_str(&opts.item_sep);
                }
                newline(out, opts, level + 1);
                let ks = match key.as_str() {
                    Some(s) => s.to_owned(),
                    None => key.to_string(),
                };
                write_json_str(out, &ks, opts.ensure_ascii);
                out.push_str(&opts.key_sep);
                write_json(out, &v.get_item(key)?, opts, level + 1)?;
            }
            newline(out, opts, level);
            out.push('}');
        }
        ValueKind::Plain | ValueKind::Invalid => {
            write_json_str(out, &v.to_string(), opts.ensure_ascii)
        }
        // ValueKind is non-exhaustive.
        _ => write_json_str(out, &v.to_string(), opts.ensure_ascii),
    }
    Ok(())
}

fn write_json_str(out: &mut String, s: &str, ensure_ascii: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || c == '\u{7f}' && ensure_ascii => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if ensure_ascii && !c.is_ascii() => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(src: &str) -> String {
        let t = ChatTemplate::from_source(src, "<s>", "</s>").unwrap();
        t.render(&[ChatMessage::user("héllo \"x\"\n")], None, false)
            .unwrap()
    }

    #[test]
    fn tojson_matches_python_json_dumps_without_ascii_escaping() {
        assert_eq!(
            render("{{ messages[0] | tojson }}"),
            r#"{"role": "user", "content": "héllo \"x\"\n"}"#
        );
        assert_eq!(
            render("{{ messages[0] | tojson(ensure_ascii=true) }}"),
            r#"{"role": "user", "content": "h\u00e9llo \"x\"\n"}"#
        );
        assert_eq!(
            render("{{ {'a': [1, 2.5, 3.0, none, true], 'b': {}} | tojson(indent=2) }}"),
            "{\n  \"a\": [\n    1,\n    2.5,\n    3.0,\n    null,\n    true\n  ],\n  \"b\": {}\n}"
        );
        assert_eq!(
            render("{{ {'a': 1, 'b': '<&>'} | tojson(separators=(',', ':')) }}"),
            r#"{"a":1,"b":"<&>"}"#
        );
    }

    #[test]
    fn environment_has_pycompat_and_helpers() {
        assert_eq!(
            render("{{ '  Abc '.strip().upper() }}|{{ 'a,b'.split(',') | length }}"),
            "ABC|2"
        );
        assert_eq!(render("{{ bos_token }}{{ eos_token }}"), "<s></s>");
        let t =
            ChatTemplate::from_source("{{ raise_exception('no system role') }}", "", "").unwrap();
        let err = t.render(&[], None, false).unwrap_err();
        assert!(err.to_string().contains("no system role"), "{err}");
        // trim_blocks + lstrip_blocks.
        assert_eq!(render("  {% if true %}\nx\n  {% endif %}\ny"), "x\ny");
        // tools is undefined unless given.
        assert_eq!(
            render("{% if tools is defined %}T{% else %}F{% endif %}"),
            "F"
        );
    }

    #[test]
    fn syntax_errors_are_reported() {
        let err = ChatTemplate::from_source("{% if %}", "", "").unwrap_err();
        assert!(matches!(err, TokenizerError::TemplateSyntax(_)), "{err}");
    }

    #[test]
    fn strftime_formats_known_dates() {
        // 2024-02-29 13:05:09 UTC, a Thursday.
        let t = 1_709_211_909;
        assert_eq!(
            strftime("%Y-%m-%d %H:%M:%S %a %b %j", t),
            "2024-02-29 13:05:09 Thu Feb 060"
        );
        assert_eq!(strftime("%d %B %Y", 0), "01 January 1970");
        assert_eq!(
            strftime("%A %I%p %%", 86_400 * 3 + 3600 * 15),
            "Sunday 03PM %"
        );
    }

    #[test]
    fn chatml_renders_with_generation_prompt() {
        let t = ChatTemplate::chatml();
        assert!(t.is_default());
        let s = t
            .render(
                &[ChatMessage::system("S"), ChatMessage::user("U")],
                None,
                true,
            )
            .unwrap();
        assert_eq!(
            s,
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n"
        );
    }
}
