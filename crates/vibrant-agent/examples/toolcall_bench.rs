//! Tool-calling reliability: 50 agent requests answered by a real model through the embedded
//! backend with Vibrant's 15 tools, once with grammar-constrained decoding and once without,
//! counting the calls that parse and validate against their tool's JSON schema (checked here by
//! an independent validator, not by the constraint's automaton).
//!
//!   cargo run --release -p vibrant-agent --example toolcall_bench -- [MODEL.gguf] [THREADS]
//!
//! Prints one line per prompt and mode, then a summary table (markdown).
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use serde_json::Value;
use vibrant_core::{Backend, CompletionRequest, EmbeddedBackend, Message, ToolChoice};

const PROMPTS: &[&str] = &[
    "Show me the contents of src/main.rs.",
    "Read lines 40 to 80 of src/parser.rs.",
    "Open README.md.",
    "What is in Cargo.toml?",
    "Print the first 20 lines of tests/integration.rs.",
    "List the files in the src directory.",
    "What is in the project root? Go two levels deep.",
    "List everything under crates/core.",
    "Find all Python files in the repository.",
    "Which files match **/*.test.ts?",
    "Find every Cargo.toml in the workspace.",
    "Search the code for the string TODO.",
    "Where is the function parse_config called? Search case-insensitively.",
    "Grep for `unwrap()` in Rust files only.",
    "Find lines that match the regex fn\\s+main in the src folder.",
    "Look for \"deprecated\" in docs, at most 20 results.",
    "Search the codebase for how authentication tokens are refreshed.",
    "Find code related to database connection pooling.",
    "Which code handles retry with exponential backoff? Show 3 results.",
    "List the functions and types defined in src/lib.rs.",
    "What symbols does app/models.py define?",
    "In src/math.rs, replace `a - b` with `a + b` in the add function.",
    "Rename the variable `cnt` to `count` in utils/stats.py where it says `cnt = 0`.",
    "In config.yaml change `debug: true` to `debug: false`.",
    "Change every occurrence of `OldName` to `NewName` in src/api.rs.",
    "Fix the typo `recieve` -> `receive` in src/net.rs.",
    "Create a file notes/TODO.md containing a heading 'Tasks' and one item 'write tests'.",
    "Write a new file scripts/hello.sh that prints hello world.",
    "Create src/version.rs with `pub const VERSION: &str = \"1.0\";`.",
    "Apply this patch: in file a.txt replace the line `old` with `new` (use a unified diff).",
    "Delete the file tmp/scratch.txt using a patch.",
    "Run `ls -la` in the repository.",
    "Run the command `python3 --version`.",
    "Count the lines of all Rust files with wc.",
    "Run `make lint` in the frontend directory with a 300 second timeout.",
    "Run the tests.",
    "Run only the tests whose name contains parse.",
    "Run the test suite in the backend folder.",
    "Build the project.",
    "Check that the code compiles in crates/engine.",
    "Show git status.",
    "What changed in the working tree? Show the diff.",
    "Show the staged diff.",
    "Show the diff of src/main.rs only.",
    "Show the last 5 commits.",
    "Show the history of README.md, 3 entries.",
    "I think the bug is in src/parser.rs near line 120; look at lines 100 to 140.",
    "Find where the struct Config is defined.",
    "The test test_add fails. First, find the test.",
    "Check what files exist in tests/ before we add a new test.",
];

/// Validates arguments against a tool's parameter schema: known keys only, required present,
/// types and integer bounds.
fn validate(tools: &[Value], name: &str, args: &Value) -> Result<(), String> {
    let tool = tools
        .iter()
        .map(|t| &t["function"])
        .find(|f| f["name"] == name)
        .ok_or_else(|| format!("unknown tool {name}"))?;
    let params = &tool["parameters"];
    let obj = args.as_object().ok_or("arguments are not an object")?;
    let props = params["properties"].as_object().ok_or("no properties")?;
    for (k, v) in obj {
        let schema = props
            .get(k)
            .ok_or_else(|| format!("unknown argument {k}"))?;
        let ok = match schema["type"].as_str() {
            Some("string") => v.is_string(),
            Some("boolean") => v.is_boolean(),
            Some("integer") => v.as_i64().is_some_and(|n| {
                schema["minimum"].as_i64().is_none_or(|m| n >= m)
                    && schema["maximum"].as_i64().is_none_or(|m| n <= m)
            }),
            _ => false,
        };
        if !ok {
            return Err(format!(
                "argument {k} = {v} does not match {}",
                schema["type"]
            ));
        }
    }
    for r in params["required"].as_array().into_iter().flatten() {
        let r = r.as_str().unwrap_or("");
        if !obj.contains_key(r) {
            return Err(format!("missing required argument {r}"));
        }
    }
    Ok(())
}

#[derive(Default)]
struct Tally {
    valid: usize,
    tagged_valid: usize,
    invalid: usize,
    none: usize,
    tokens: usize,
    decode_secs: f64,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let model = args.next().unwrap_or_else(|| {
        format!(
            "{}/.cache/vibrant/test-models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            std::env::var("HOME").unwrap_or_default()
        )
    });
    let threads: usize = args.next().and_then(|t| t.parse().ok()).unwrap_or(2);
    let mut backend = EmbeddedBackend::load(std::path::Path::new(&model), threads, 8192).unwrap();
    let tools: Vec<Value> = vibrant_tools::all_specs()
        .iter()
        .map(|s| s.to_function_json())
        .collect();
    let names: Vec<&str> = tools
        .iter()
        .filter_map(|t| t["function"]["name"].as_str())
        .collect();
    let system = vibrant_agent::system_prompt(std::path::Path::new("/home/user/project"), None);
    let cancel = AtomicBool::new(false);
    let mut results = Vec::new();
    for constrained in [true, false] {
        let mut t = Tally::default();
        let started = Instant::now();
        for (i, prompt) in PROMPTS.iter().enumerate() {
            let messages = vec![Message::system(system.clone()), Message::user(*prompt)];
            let mut req = CompletionRequest::new(&messages, 256);
            req.temperature = 0.0;
            req.tools = &tools;
            req.tool_choice = if constrained {
                ToolChoice::Required
            } else {
                ToolChoice::Auto
            };
            req.constrain_tools = constrained;
            let mut raw = String::new();
            let c = backend
                .complete(&req, &cancel, &mut |d| raw.push_str(d))
                .unwrap();
            let n = c.usage.completion_tokens.unwrap_or(0);
            t.tokens += n;
            if let (Some(ttft), total) = (c.usage.time_to_first_token, c.usage.total) {
                t.decode_secs += total.saturating_sub(ttft).as_secs_f64();
            }
            let verdict = match c.tool_calls.first() {
                Some(call) => match validate(&tools, &call.name, &call.arguments) {
                    Ok(()) => {
                        t.valid += 1;
                        // Did the model use the tagged format (not the forgiving fallbacks)?
                        let tagged = !raw.contains("```") && !raw.contains("{\"name\"");
                        if tagged {
                            t.tagged_valid += 1;
                        }
                        format!("valid {} {}", call.name, call.arguments)
                    }
                    Err(e) => {
                        t.invalid += 1;
                        format!("INVALID {}: {e}", call.name)
                    }
                },
                None if !c.invalid_tool_calls.is_empty() => {
                    t.invalid += 1;
                    format!("UNREADABLE {}", c.invalid_tool_calls[0])
                }
                None => {
                    t.none += 1;
                    format!("NO CALL: {:?}", c.text.chars().take(80).collect::<String>())
                }
            };
            let _ = &names;
            println!(
                "[{}] {:2} {:<60} {}",
                if constrained { "constrained" } else { "free" },
                i + 1,
                prompt.chars().take(60).collect::<String>(),
                verdict
            );
            if std::env::var_os("SHOW_TEXT").is_some() {
                println!("    text: {raw:?}");
            }
        }
        results.push((constrained, t, started.elapsed().as_secs_f64()));
    }
    println!(
        "\n| mode | calls that parse and validate | of which in the native tagged format | invalid or unreadable | no call | generated tokens | decode tok/s | wall s |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (constrained, t, wall) in &results {
        println!(
            "| {} | {}/{} | {} | {} | {} | {} | {:.1} | {:.0} |",
            if *constrained {
                "constrained (required)"
            } else {
                "unconstrained (auto)"
            },
            t.valid,
            PROMPTS.len(),
            t.tagged_valid,
            t.invalid,
            t.none,
            t.tokens,
            t.tokens as f64 / t.decode_secs.max(1e-9),
            wall
        );
    }
}
