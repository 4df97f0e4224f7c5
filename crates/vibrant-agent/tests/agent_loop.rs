//! The loop's mechanics with a scripted model (the model is the fake; the tools, workspace,
//! checkpoints and commands are real).
#![allow(clippy::unwrap_used)]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};
use vibrant_agent::{Agent, AgentConfig, AgentEvent, Outcome, Verify};
use vibrant_core::{
    Backend, BackendError, Completion, CompletionRequest, FinishReason, Message, Role, ToolCall,
    Usage,
};
use vibrant_tools::{ApprovalMode, ApproveAll, Toolbox, ToolboxConfig};

/// One scripted answer: text and calls.
struct Turn {
    text: String,
    calls: Vec<(String, Value)>,
    invalid: Vec<String>,
}

fn say(text: &str) -> Turn {
    Turn {
        text: text.to_owned(),
        calls: Vec::new(),
        invalid: Vec::new(),
    }
}

fn call(name: &str, args: Value) -> Turn {
    Turn {
        text: String::new(),
        calls: vec![(name.to_owned(), args)],
        invalid: Vec::new(),
    }
}

/// A model that answers from a script and records what it was sent.
struct Scripted {
    turns: VecDeque<Turn>,
    seen: Vec<Vec<Message>>,
    tools_seen: usize,
    choices: Vec<vibrant_core::ToolChoice>,
    next_id: usize,
    window: usize,
}

impl Scripted {
    fn new(turns: Vec<Turn>) -> Self {
        Self {
            turns: turns.into(),
            seen: Vec::new(),
            tools_seen: 0,
            choices: Vec::new(),
            next_id: 0,
            window: 32_768,
        }
    }
}

impl Backend for Scripted {
    fn describe(&self) -> String {
        "scripted".to_owned()
    }
    fn context_window(&self) -> usize {
        self.window
    }
    fn count_tokens(&self, text: &str) -> usize {
        text.len() / 4 + 1
    }
    fn count_prompt(&self, messages: &[Message]) -> Result<usize, BackendError> {
        Ok(messages.iter().map(|m| m.content.len() / 4 + 4).sum())
    }
    fn complete(
        &mut self,
        request: &CompletionRequest<'_>,
        _cancel: &AtomicBool,
        on_delta: &mut dyn FnMut(&str),
    ) -> Result<Completion, BackendError> {
        self.seen.push(request.messages.to_vec());
        self.tools_seen = request.tools.len();
        self.choices.push(request.tool_choice);
        let turn = self
            .turns
            .pop_front()
            .unwrap_or_else(|| say("(script exhausted)"));
        if !turn.text.is_empty() {
            on_delta(&turn.text);
        }
        let tool_calls = turn
            .calls
            .into_iter()
            .map(|(name, arguments)| {
                self.next_id += 1;
                ToolCall {
                    id: format!("call_{}", self.next_id),
                    name,
                    arguments,
                }
            })
            .collect();
        Ok(Completion {
            text: turn.text,
            tool_calls,
            invalid_tool_calls: turn.invalid,
            finish: FinishReason::Stop,
            usage: Usage {
                prompt_tokens: Some(100),
                completion_tokens: Some(10),
                ..Usage::default()
            },
        })
    }
}

struct Fixture {
    ws: tempfile::TempDir,
    _state: tempfile::TempDir,
    tools: Toolbox,
}

fn fixture(files: &[(&str, &str)]) -> Fixture {
    let ws = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let p = ws.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    let mut cfg = ToolboxConfig::new(ws.path(), state.path());
    cfg.approval = ApprovalMode::FullAuto;
    let tools = Toolbox::new(cfg, Box::new(ApproveAll)).unwrap();
    Fixture {
        ws,
        _state: state,
        tools,
    }
}

fn read(f: &Fixture, path: &str) -> String {
    std::fs::read_to_string(f.ws.path().join(path)).unwrap()
}

/// A project whose `make test` passes only when `calc.py` adds.
const MAKEFILE: &str = "test:\n\tgrep -q 'return a + b' calc.py && echo '1 passed, 0 failed'\n";
const BROKEN: &str = "def add(a, b):\n    return a - b\n";

/// Runs the tool loop alone (no candidate phase; `candidates.rs` tests that).
fn run(
    backend: &mut Scripted,
    f: &mut Fixture,
    mut config: AgentConfig,
    task: &str,
) -> (vibrant_agent::AgentReport, Vec<AgentEvent>) {
    config.candidates.candidates = 0;
    let cancel = AtomicBool::new(false);
    let mut events = Vec::new();
    let mut agent = Agent::new(backend, &mut f.tools, config);
    let report = agent.run(task, &cancel, &mut |e| events.push(e.clone()));
    (report, events)
}

#[test]
fn plan_read_edit_verify_done() {
    let mut f = fixture(&[("calc.py", BROKEN), ("Makefile", MAKEFILE)]);
    let mut model = Scripted::new(vec![
        Turn {
            text: "Plan:\n1. Read calc.py\n2. Fix add\n3. Run the tests".to_owned(),
            calls: vec![("read_file".to_owned(), json!({"path": "calc.py"}))],
            invalid: Vec::new(),
        },
        call(
            "edit_file",
            json!({"path": "calc.py", "old_string": "return a - b", "new_string": "return a + b"}),
        ),
        say("I fixed `add` to return the sum."),
    ]);
    let (report, events) = run(&mut model, &mut f, AgentConfig::default(), "fix add");
    assert_eq!(report.outcome, Outcome::Done, "{report:?}");
    assert_eq!(read(&f, "calc.py"), "def add(a, b):\n    return a + b\n");
    assert_eq!(report.steps, 3);
    assert_eq!(report.tool_calls, 2);
    assert_eq!(report.final_message, "I fixed `add` to return the sum.");
    // The check ran by itself after the model finished, and passed.
    let v = report.verification.as_ref().unwrap();
    assert!(v.passed && v.tool == "run_tests", "{v:?}");
    assert_eq!(report.files.len(), 1);
    assert_eq!(
        (
            report.files[0].path.as_str(),
            report.files[0].added,
            report.files[0].removed
        ),
        ("calc.py", 1, 1)
    );
    assert_eq!(
        report.diffstat_line(),
        "1 file changed, 1 insertion(+), 1 deletion(-)"
    );
    // Events: the plan, each call and result (with the diff), the check, the end.
    assert!(
        events
            .iter()
            .any(|e| matches!(e, AgentEvent::Plan { items } if items.len() == 3))
    );
    let diff = events.iter().find_map(|e| match e {
        AgentEvent::ToolResult { name, diff, .. } if name == "edit_file" => diff.clone(),
        _ => None,
    });
    assert!(diff.unwrap().contains("+    return a + b"));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, AgentEvent::Verify { result } if result.passed))
    );
    assert!(matches!(events.last(), Some(AgentEvent::Finished { .. })));
    // The model saw the tools, its own calls and their results with matching ids. It had to
    // act first; after tool results it could finish.
    use vibrant_core::ToolChoice::Required;
    assert_eq!(model.choices, [Required, Required, Required]);
    assert_eq!(model.tools_seen, 16, "the 15 tools and finish");
    let last = model.seen.last().unwrap();
    assert_eq!(last[0].role, Role::System);
    let results: Vec<&Message> = last.iter().filter(|m| m.role == Role::Tool).collect();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].tool_call_id.as_deref(), Some("call_1"));
    assert!(results[0].content.contains("return a - b"));
    assert!(
        last.iter()
            .any(|m| m.tool_calls.iter().any(|c| c.id == "call_2"))
    );
}

#[test]
fn failed_check_is_fed_back_and_fixed() {
    let mut f = fixture(&[("calc.py", BROKEN), ("Makefile", MAKEFILE)]);
    let mut model = Scripted::new(vec![
        call(
            "edit_file",
            json!({"path": "calc.py", "old_string": "return a - b", "new_string": "return b - a"}),
        ),
        say("Done."),
        // After the failure report:
        call(
            "edit_file",
            json!({"path": "calc.py", "old_string": "return b - a", "new_string": "return a + b"}),
        ),
        say("Fixed for real."),
    ]);
    let (report, _) = run(&mut model, &mut f, AgentConfig::default(), "fix add");
    assert_eq!(report.outcome, Outcome::Done, "{report:?}");
    assert_eq!(report.reflections, 1);
    assert!(read(&f, "calc.py").contains("return a + b"));
    // The model was told the check failed, with the tool's report.
    let feedback = &model.seen[2].last().unwrap().content;
    assert!(
        feedback.contains("failed") && feedback.contains("tests FAILED"),
        "{feedback}"
    );
    // Net diffstat over the whole task: one line changed.
    assert_eq!((report.files[0].added, report.files[0].removed), (1, 1));
}

#[test]
fn reflections_are_bounded() {
    let mut f = fixture(&[("calc.py", BROKEN), ("Makefile", MAKEFILE)]);
    let mut turns = vec![call(
        "edit_file",
        json!({"path": "calc.py", "old_string": "return a - b", "new_string": "return a * b"}),
    )];
    for _ in 0..5 {
        turns.push(say("Done."));
    }
    let mut model = Scripted::new(turns);
    let config = AgentConfig {
        max_reflections: 1,
        ..AgentConfig::default()
    };
    let (report, _) = run(&mut model, &mut f, config, "fix add");
    // The first claim fails the check, the model gets one reflection, and its next claim
    // (no new edit) ends the run with the failure standing.
    assert_eq!(report.reflections, 1);
    assert_eq!(report.outcome, Outcome::Unverified, "{report:?}");
    assert_eq!(report.steps, 3);
    assert!(!report.verification.unwrap().passed);
}

#[test]
fn repeated_calls_end_the_run_as_stuck() {
    let mut f = fixture(&[("a.txt", "hello\n")]);
    let turns = (0..10)
        .map(|_| call("read_file", json!({"path": "a.txt"})))
        .collect();
    let mut model = Scripted::new(turns);
    let (report, events) = run(&mut model, &mut f, AgentConfig::default(), "read a");
    assert!(
        matches!(report.outcome, Outcome::Stuck { .. }),
        "{report:?}"
    );
    // Two calls run, the third and fourth are refused by the guard, and the run stops.
    assert_eq!(report.tool_calls, 4);
    let refused = events
        .iter()
        .filter(|e| matches!(e, AgentEvent::ToolResult { output, .. } if output.contains("stopped: this is call number")))
        .count();
    assert_eq!(refused, 2);
}

#[test]
fn unreadable_calls_get_feedback_then_stop() {
    let mut f = fixture(&[("a.txt", "hello\n")]);
    let bad = || Turn {
        text: String::new(),
        calls: Vec::new(),
        invalid: vec![
            "tool call is not valid JSON (trailing comma): {\"name\": \"x\",}".to_owned(),
        ],
    };
    // One bad call, then a good one, then a finish: the run recovers.
    let mut model = Scripted::new(vec![
        bad(),
        call("read_file", json!({"path": "a.txt"})),
        say("It says hello."),
    ]);
    let (report, events) = run(&mut model, &mut f, AgentConfig::default(), "read a");
    assert_eq!(report.outcome, Outcome::Done);
    assert_eq!(report.invalid_calls, 1);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, AgentEvent::InvalidCall { .. }))
    );
    let feedback = &model.seen[1].last().unwrap().content;
    assert!(feedback.contains("could not be read") && feedback.contains("<tool_call>"));
    // Three in a row: stuck.
    let mut model = Scripted::new(vec![bad(), bad(), bad(), say("never reached")]);
    let (report, _) = run(&mut model, &mut f, AgentConfig::default(), "read a");
    assert!(matches!(report.outcome, Outcome::Stuck { .. }));
    assert_eq!(report.steps, 3);
}

#[test]
fn step_budget_and_cancel() {
    let mut f = fixture(&[("a.txt", "1\n"), ("b.txt", "2\n")]);
    let turns = (0..10)
        .map(|i| {
            call(
                "read_file",
                json!({"path": if i % 2 == 0 { "a.txt" } else { "b.txt" }}),
            )
        })
        .collect();
    let mut model = Scripted::new(turns);
    let config = AgentConfig {
        max_steps: 3,
        ..AgentConfig::default()
    };
    let (report, _) = run(&mut model, &mut f, config, "look around");
    assert_eq!(report.outcome, Outcome::StepBudget);
    assert_eq!(report.steps, 3);

    // Ctrl-C while the first tool runs: the run ends, the call is answered in the history.
    let mut model = Scripted::new(vec![Turn {
        text: String::new(),
        calls: vec![
            ("read_file".to_owned(), json!({"path": "a.txt"})),
            ("read_file".to_owned(), json!({"path": "b.txt"})),
        ],
        invalid: Vec::new(),
    }]);
    let cancel = AtomicBool::new(false);
    let mut agent = Agent::new(
        &mut model,
        &mut f.tools,
        AgentConfig {
            candidates: vibrant_agent::CandidateConfig {
                candidates: 0,
                ..Default::default()
            },
            ..AgentConfig::default()
        },
    );
    let report = agent.run("look", &cancel, &mut |e| {
        if matches!(e, AgentEvent::ToolResult { .. }) {
            cancel.store(true, Ordering::Relaxed);
        }
    });
    assert_eq!(report.outcome, Outcome::Cancelled);
    assert_eq!(report.tool_calls, 1);
    let conv = agent.into_conversation();
    let results: Vec<&Message> = conv
        .messages()
        .iter()
        .filter(|m| m.role == Role::Tool)
        .collect();
    assert_eq!(results.len(), 2);
    assert!(results[1].content.contains("cancelled"));
}

#[test]
fn a_task_is_undone_as_one_turn() {
    let mut f = fixture(&[("calc.py", BROKEN)]);
    let mut model = Scripted::new(vec![
        call(
            "edit_file",
            json!({"path": "calc.py", "old_string": "return a - b", "new_string": "return a + b"}),
        ),
        call(
            "write_file",
            json!({"path": "notes.md", "content": "fixed add\n"}),
        ),
        say("Done."),
    ]);
    let config = AgentConfig {
        verify: Verify::Off,
        ..AgentConfig::default()
    };
    let (report, _) = run(&mut model, &mut f, config, "fix add and take notes");
    assert_eq!(report.outcome, Outcome::Done);
    assert_eq!(report.files.len(), 2);
    assert_eq!(report.files[1].status, "created");
    assert!(report.verification.is_none());
    let undo = f.tools.undo(1).unwrap();
    assert_eq!(undo.removed, ["notes.md"]);
    assert_eq!(read(&f, "calc.py"), BROKEN);
    assert!(!f.ws.path().join("notes.md").exists());
}

#[test]
fn an_empty_answer_is_nudged_not_taken_as_done() {
    let mut f = fixture(&[("a.txt", "hello\n")]);
    let mut model = Scripted::new(vec![
        call("read_file", json!({"path": "a.txt"})),
        say(""),
        say("It says hello."),
    ]);
    let (report, _) = run(&mut model, &mut f, AgentConfig::default(), "read a");
    assert_eq!(report.outcome, Outcome::Done);
    assert_eq!(report.steps, 3);
    assert_eq!(report.final_message, "It says hello.");
    let nudge = &model.seen[2].last().unwrap().content;
    assert!(nudge.contains("empty"), "{nudge}");
    // Silence after the nudges ends the run.
    let mut model = Scripted::new(vec![say(""), say(""), say(""), say("never")]);
    let (report, _) = run(&mut model, &mut f, AgentConfig::default(), "read a");
    assert_eq!(report.steps, 3);
    assert_eq!(report.final_message, "");
}

#[test]
fn finish_ends_the_task_after_the_calls_before_it() {
    let mut f = fixture(&[("calc.py", BROKEN), ("Makefile", MAKEFILE)]);
    let mut model = Scripted::new(vec![
        Turn {
            text: "Fixing it.".to_owned(),
            calls: vec![
                (
                    "edit_file".to_owned(),
                    json!({"path": "calc.py", "old_string": "return a - b", "new_string": "return a * b"}),
                ),
                ("finish".to_owned(), json!({"summary": "add now adds"})),
            ],
            invalid: Vec::new(),
        },
        // The check failed: the finish call was answered with the failure.
        call(
            "edit_file",
            json!({"path": "calc.py", "old_string": "return a * b", "new_string": "return a + b"}),
        ),
        call("finish", json!({"summary": "add really adds; tests pass"})),
    ]);
    let (report, _) = run(&mut model, &mut f, AgentConfig::default(), "fix add");
    assert_eq!(report.outcome, Outcome::Done, "{report:?}");
    assert_eq!(report.reflections, 1);
    assert_eq!(
        report.tool_calls, 2,
        "finish is not a tool call of the toolbox"
    );
    assert_eq!(report.final_message, "add really adds; tests pass");
    assert!(report.verification.unwrap().passed);
    let history = &model.seen[1];
    let answer = history.iter().rev().find(|m| m.role == Role::Tool).unwrap();
    assert_eq!(answer.name.as_deref(), Some("finish"));
    assert!(
        answer.content.starts_with("not finished"),
        "{}",
        answer.content
    );
}

#[test]
fn a_filtered_test_run_is_not_the_final_check() {
    let mut f = fixture(&[("calc.py", BROKEN), ("Makefile", MAKEFILE)]);
    let mut model = Scripted::new(vec![
        call(
            "edit_file",
            json!({"path": "calc.py", "old_string": "return a - b", "new_string": "return a + b"}),
        ),
        call("run_tests", json!({"filter": "add"})),
        call("finish", json!({"summary": "fixed"})),
    ]);
    let (report, events) = run(&mut model, &mut f, AgentConfig::default(), "fix add");
    assert_eq!(report.outcome, Outcome::Done);
    // The loop ran the whole suite itself after the filtered run.
    assert!(
        events
            .iter()
            .any(|e| matches!(e, AgentEvent::Verify { .. }))
    );

    // An unfiltered passing run is accepted as the check.
    let mut f = fixture(&[("calc.py", BROKEN), ("Makefile", MAKEFILE)]);
    let mut model = Scripted::new(vec![
        call(
            "edit_file",
            json!({"path": "calc.py", "old_string": "return a - b", "new_string": "return a + b"}),
        ),
        call("run_tests", json!({})),
        call("finish", json!({"summary": "fixed"})),
    ]);
    let (report, events) = run(&mut model, &mut f, AgentConfig::default(), "fix add");
    assert_eq!(report.outcome, Outcome::Done);
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, AgentEvent::Verify { .. }))
    );
    assert!(report.verification.unwrap().passed);
}

/// A long task that outgrows the window: older steps are summarised by the model (through
/// `vibrant_core::Turn::fit`, the last 4 messages kept) and the run goes on.
#[test]
fn a_full_window_is_compacted_and_the_task_goes_on() {
    let files: Vec<(String, &str)> = (0..5).map(|i| (format!("f{i}.txt"), "x\n")).collect();
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), *c)).collect();
    let mut f = fixture(&refs);
    let config = AgentConfig {
        verify: Verify::Off,
        answer_tokens: 50,
        ..AgentConfig::default()
    };
    let thought = "thinking ".repeat(90); // 810 characters: 206 tokens for this backend
    let mut script: Vec<Turn> = (0..5)
        .map(|i| Turn {
            text: thought.clone(),
            calls: vec![("read_file".to_owned(), json!({"path": format!("f{i}.txt")}))],
            invalid: Vec::new(),
        })
        .collect();
    script.push(say("We read five files, each holds x."));
    script.push(say("Every file holds x."));
    let mut model = Scripted::new(script);
    // The window: the system prompt, the tools, the answer and about four steps.
    let fixed = {
        let agent = Agent::new(&mut model, &mut f.tools, config.clone());
        let system: usize = agent
            .conversation()
            .messages()
            .iter()
            .map(|m| m.content.len() / 4 + 4)
            .sum();
        let tools: usize = agent.tool_json().iter().map(|t| t.to_string().len()).sum();
        system + tools.div_ceil(3) + 50
    };
    model.window = fixed + 900;
    let (report, events) = run(
        &mut model,
        &mut f,
        config,
        "tell me what the five files say",
    );
    assert_eq!(report.outcome, Outcome::Done, "{events:?}");
    assert_eq!(report.final_message, "Every file holds x.");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, AgentEvent::Notice { message }
            if message.contains("summarising older steps"))),
        "{events:?}"
    );
    // The sixth request asked for the summary, without tools; the last one carried it.
    let summary_request = &model.seen[5];
    assert!(
        summary_request
            .last()
            .unwrap()
            .content
            .starts_with("Summarise the conversation")
    );
    let last = model.seen.last().unwrap();
    assert!(
        last[1]
            .content
            .starts_with(vibrant_core::conversation::SUMMARY_HEADER)
    );
    assert!(last[1].content.contains("We read five files"));
}
