//! The template environment handles the constructs real chat templates use (Llama 3.x, Mistral, Phi, Qwen,
//! DeepSeek style), and messages (de)serialize in the OpenAI shape.
#![allow(clippy::unwrap_used)]

use serde_json::json;
use vibrant_tokenizer::{ChatMessage, ChatTemplate};

/// A template in the style of Llama 3.1's: namespace, system extraction, tools with tojson(indent=4),
/// strftime_now, raise_exception on bad roles, loop.last, string methods, `is defined`, `.get`.
const LLAMA31_STYLE: &str = r#"{{- bos_token }}
{%- set date_string = strftime_now("%d %b %Y") %}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}
{{- "<|start_header_id|>system<|end_header_id|>\n\n" }}
{{- "Today Date: " + date_string + "\n" }}
{%- if tools is defined and tools is not none %}
    {%- for t in tools %}
        {{- t | tojson(indent=4) }}
        {{- "\n\n" }}
    {%- endfor %}
{%- endif %}
{{- system_message }}
{{- "<|eot_id|>" }}
{%- set ns = namespace(count=0) %}
{%- for message in messages %}
    {%- if message.role not in ['user', 'assistant', 'tool'] %}
        {{- raise_exception('unexpected role ' + message.role) }}
    {%- endif %}
    {%- set ns.count = ns.count + 1 %}
    {%- if message.tool_calls is defined %}
        {%- for call in message.tool_calls %}
            {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
            {{- '{"name": "' + call.function.name + '", "parameters": ' + (call.function.arguments | tojson) + '}' }}
        {%- endfor %}
        {{- "<|eot_id|>" }}
    {%- elif message.role == 'tool' %}
        {{- "<|start_header_id|>ipython<|end_header_id|>\n\n" + message.content.strip() + "<|eot_id|>" }}
    {%- else %}
        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' }}
    {%- endif %}
    {%- if loop.last and message.get('name') %}{{ '[' ~ message.name ~ ']' }}{% endif %}
{%- endfor %}
{{- '[' ~ ns.count ~ ']' }}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
{%- endif %}
"#;

#[test]
fn llama31_style_template_renders() {
    let t = ChatTemplate::from_source(LLAMA31_STYLE, "<|begin_of_text|>", "<|eot_id|>").unwrap();
    let tools =
        [json!({"type": "function", "function": {"name": "ls", "parameters": {"dir": "string"}}})];
    let call = json!({"type": "function", "function": {"name": "ls", "arguments": {"dir": "."}}});
    let messages = [
        ChatMessage::system("  Be brief.  "),
        ChatMessage::user("list files"),
        ChatMessage {
            tool_calls: Some(vec![call]),
            ..ChatMessage::assistant("")
        },
        ChatMessage::tool(" a.rs\n", Some("1".into()), Some("ls".into())),
    ];
    let out = t.render(&messages, Some(&tools), true).unwrap();
    let date_len = "01 Jan 2026".len();
    let head = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nToday Date: ";
    assert!(out.starts_with(head), "{out}");
    let rest = &out[head.len() + date_len..];
    let expected = concat!(
        "\n{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"ls\",\n",
        "        \"parameters\": {\n            \"dir\": \"string\"\n        }\n    }\n}\n\n",
        "Be brief.<|eot_id|>",
        "<|start_header_id|>user<|end_header_id|>\n\nlist files<|eot_id|>",
        "<|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"ls\", \"parameters\": {\"dir\": \".\"}}<|eot_id|>",
        "<|start_header_id|>ipython<|end_header_id|>\n\na.rs<|eot_id|>[ls][3]",
        "<|start_header_id|>assistant<|end_header_id|>\n\n",
    );
    assert_eq!(rest, expected);

    let err = t
        .render(&[ChatMessage::new("narrator", "x")], None, false)
        .unwrap_err();
    assert!(
        err.to_string().contains("unexpected role narrator"),
        "{err}"
    );
}

#[test]
fn loop_controls_filters_and_python_methods() {
    let src = "{% for m in messages %}{% if m.role == 'system' %}{% continue %}{% endif %}\
               {{ m.content.upper() }}{% if not loop.last %},{% endif %}{% endfor %}|\
               {{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | join('+') }}|\
               {{ 'a-b-c'.split('-') | reverse | join }}|{{ 'x'.startswith('x') }}|{{ messages[0].content.replace('s', 'S') }}|\
               {% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}{{ v }}{% endfor %}";
    let t = ChatTemplate::from_source(src, "", "").unwrap();
    let out = t
        .render(
            &[
                ChatMessage::system("sys"),
                ChatMessage::user("u1"),
                ChatMessage::user("u2"),
            ],
            None,
            false,
        )
        .unwrap();
    // Booleans print Python-style, as in Jinja2 and llama.cpp.
    assert_eq!(out, "U1,U2|u1+u2|cba|True|SyS|a1b2");
}

#[test]
fn messages_deserialize_from_openai_json() {
    let m: Vec<ChatMessage> = serde_json::from_value(json!([
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": null, "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "content": "ok", "tool_call_id": "c1", "name": "f"}
    ]))
    .unwrap();
    assert_eq!(m[0], ChatMessage::user("hi"));
    assert_eq!(m[1].content, "");
    assert_eq!(m[1].tool_calls.as_ref().unwrap().len(), 1);
    assert_eq!(
        m[2],
        ChatMessage::tool("ok", Some("c1".into()), Some("f".into()))
    );
    // Optional fields are omitted when None.
    assert_eq!(
        serde_json::to_value(ChatMessage::user("x")).unwrap(),
        json!({"role": "user", "content": "x"})
    );
}

/// Renders `src` on another thread; panics if it has not finished within `limit` (a hostile
/// template must not hang the caller).
fn render_within(src: &str, limit: std::time::Duration) -> Result<String, String> {
    let t = ChatTemplate::from_source(src, "", "").unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let out = t
            .render(&[ChatMessage::user("hi")], None, true)
            .map_err(|e| e.to_string());
        let _ = tx.send(out);
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out,
        Err(_) => panic!("rendering did not finish within {limit:?}: {src}"),
    }
}

#[test]
fn a_hostile_template_with_huge_loops_fails_quickly_with_a_clear_error() {
    let limit = std::time::Duration::from_secs(30);
    for src in [
        // The loops minijinja's `range` cap (10 000 items) does not stop: nested.
        "{% for i in range(10000) %}{% for j in range(10000) %}{% for k in range(10000) %}x{% endfor %}{% endfor %}{% endfor %}",
        "{% for i in range(100000000) %}{% for j in range(100000000) %}x{% endfor %}{% endfor %}",
        // Output that grows without bound.
        "{% set ns = namespace(s='x') %}{% for i in range(10000) %}{% for j in range(10000) %}{% set ns.s = ns.s ~ 'xxxxxxxxxxxxxxxx' %}{% endfor %}{% endfor %}{{ ns.s }}",
    ] {
        let start = std::time::Instant::now();
        let err = render_within(src, limit).unwrap_err();
        assert!(
            err.contains("chat template") && (err.contains("fuel") || err.contains("range")),
            "{err}"
        );
        assert!(start.elapsed() < limit, "{:?}", start.elapsed());
    }
    let err = render_within(
        "{% for i in range(10000) %}{% for j in range(10000) %}{% for k in range(10000) %}x{% endfor %}{% endfor %}{% endfor %}",
        limit,
    )
    .unwrap_err();
    assert!(
        err.contains("too much work") && err.contains("model's chat template"),
        "{err}"
    );
}

#[test]
fn a_long_real_conversation_stays_within_the_template_budget() {
    let t = ChatTemplate::from_source(LLAMA31_STYLE, "<|begin_of_text|>", "<|eot_id|>").unwrap();
    let code = "fn main() { println!(\"hello\"); }\n".repeat(200); // ~7 kB
    let mut messages = vec![ChatMessage::system("Be brief.")];
    for i in 0..300 {
        messages.push(ChatMessage::user(format!("question {i}\n{code}")));
        messages.push(ChatMessage::assistant(format!("answer {i}\n{code}")));
    }
    let out = t.render(&messages, None, true).unwrap();
    assert!(out.len() > 3_500_000, "{}", out.len());
}
