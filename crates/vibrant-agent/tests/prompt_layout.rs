//! The agent's prompt as Qwen2.5-Coder sees it, measured with the real tokenizer: the numbers
//! `specs/agent-behavior.md` gives for the prompt layout.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::path::Path;

use vibrant_core::{Backend, EmbeddedBackend, Message, ToolCall};

#[test]
fn prompt_layout_token_counts() {
    let path = vibrant_testutil::model_path("qwen2.5-coder-0.5b-instruct-awq-mixed");
    let backend = EmbeddedBackend::load(&path, 1, 8192).unwrap();
    assert!(
        backend.template_has_tools(),
        "Qwen2.5's template describes tools natively"
    );
    let system = vibrant_agent::system_prompt(Path::new("/home/me/project"), Some("cargo"));
    let mut tools: Vec<serde_json::Value> = vibrant_tools::all_specs()
        .iter()
        .map(|s| s.to_function_json())
        .collect();
    tools.push(vibrant_agent::finish_tool());
    let task = Message::user("The test test_add fails. Fix the bug in calc.py.");
    let msgs = vec![Message::system(system.clone()), task.clone()];
    let bare = backend.count_prompt(&msgs).unwrap();
    let with_tools = backend.count_prompt_with_tools(&msgs, &tools).unwrap();
    let system_tokens = backend.count_tokens(&system);
    let tools_tokens = with_tools - bare;

    // One step: a call and its result.
    let call = ToolCall {
        id: "call_1".to_owned(),
        name: "read_file".to_owned(),
        arguments: serde_json::json!({"path": "calc.py"}),
    };
    let mut step = msgs.clone();
    step.push(Message::assistant_with_calls("", vec![call.clone()]));
    step.push(Message::tool_result(
        &call,
        "calc.py (lines 1-2 of 2):\n    1\tdef add(a, b):\n    2\t    return a - b",
    ));
    let after_step = backend.count_prompt_with_tools(&step, &tools).unwrap();
    let rendered = String::from_utf8_lossy(
        &backend
            .prompt_tokens_with_tools(&step, &tools)
            .map(|t| backend.model().tokenizer().decode(&t, true).into_bytes())
            .unwrap(),
    )
    .into_owned();
    println!(
        "system prompt {system_tokens} tokens; tools {tools_tokens} tokens ({} tools); task + framing {bare}; after one read_file step {after_step}",
        tools.len()
    );
    // The call and its result are rendered the way Qwen was trained on.
    assert!(rendered.contains("<tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"calc.py\"}}\n</tool_call>"), "{rendered}");
    assert!(
        rendered.contains("<tool_response>\ncalc.py (lines 1-2 of 2)"),
        "{rendered}"
    );
    assert!(rendered.contains("\"name\": \"edit_file\""));
    // Budgets the spec promises (prefill is the cost of every step on a CPU).
    assert!(
        system_tokens < 130,
        "system prompt grew to {system_tokens} tokens"
    );
    assert!(
        tools_tokens < 2600,
        "tool descriptions grew to {tools_tokens} tokens"
    );
    assert!(
        after_step - with_tools < 80,
        "one small step costs {} tokens",
        after_step - with_tools
    );
}
