//! The candidate phase with a scripted model (the model is the fake; the workspace, scratch
//! copies, the sandboxed check, checkpoints and undo are real).
#![allow(clippy::unwrap_used)]

use std::collections::VecDeque;
use std::sync::atomic::AtomicBool;

use vibrant_agent::{Agent, AgentConfig, AgentEvent, CandidateConfig, Outcome};
use vibrant_core::{
    Backend, BackendError, Completion, CompletionRequest, FinishReason, Message, Usage,
};
use vibrant_tools::{ApprovalMode, ApproveAll, Toolbox, ToolboxConfig};

/// Answers from a script; after it runs out, an answer without code.
struct Scripted {
    answers: VecDeque<String>,
    prompts: Vec<Vec<Message>>,
    temperatures: Vec<f32>,
}

impl Backend for Scripted {
    fn describe(&self) -> String {
        "scripted".to_owned()
    }
    fn context_window(&self) -> usize {
        32_768
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
        _on_delta: &mut dyn FnMut(&str),
    ) -> Result<Completion, BackendError> {
        self.prompts.push(request.messages.to_vec());
        self.temperatures.push(request.temperature);
        let text = self
            .answers
            .pop_front()
            .unwrap_or_else(|| "I cannot do this.".to_owned());
        Ok(Completion {
            text,
            tool_calls: Vec::new(),
            invalid_tool_calls: Vec::new(),
            finish: FinishReason::Stop,
            usage: Usage {
                prompt_tokens: Some(100),
                completion_tokens: Some(10),
                ..Usage::default()
            },
        })
    }
}

fn scripted(answers: &[&str]) -> Scripted {
    Scripted {
        answers: answers.iter().map(|s| (*s).to_owned()).collect(),
        prompts: Vec::new(),
        temperatures: Vec::new(),
    }
}

struct Fixture {
    ws: tempfile::TempDir,
    state: tempfile::TempDir,
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
    Fixture { ws, state, tools }
}

fn read(f: &Fixture, path: &str) -> String {
    std::fs::read_to_string(f.ws.path().join(path)).unwrap()
}

/// Scratch copies left under the state dir.
fn leftovers(f: &Fixture) -> Vec<String> {
    let tmp = f.state.path().join("tmp");
    std::fs::read_dir(&tmp)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("candidates-"))
                .collect()
        })
        .unwrap_or_default()
}

/// A project whose tests (a shell check through make, so the test needs no Python) pass only
/// when `calc.py` adds, and fail while it subtracts.
const MAKEFILE: &str = "test:\n\t@grep -q 'return a + b' calc.py && echo '1 passed' || { echo 'test_calc.py:5: AssertionError: add(2, 3) == -1'; echo '1 failed'; exit 1; }\n";
const CALC: &str = "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n";
const TEST: &str = "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n";

const WRONG: &str =
    "The sign is wrong.\ncalc.py\n```python\ndef add(a, b):\n    return a * b\n```\n";
const RIGHT: &str =
    "add subtracts instead of adding.\ncalc.py\n```python\ndef add(a, b):\n    return a + b\n```\n";
const EDITS_TEST: &str =
    "test_calc.py\n```python\ndef test_add():\n    assert add(2, 3) == -1\n```\n";

fn config(candidates: usize) -> AgentConfig {
    AgentConfig {
        max_steps: 2,
        candidates: CandidateConfig {
            candidates,
            rounds: 2,
            ..CandidateConfig::default()
        },
        ..AgentConfig::default()
    }
}

fn run(
    model: &mut Scripted,
    f: &mut Fixture,
    config: AgentConfig,
    task: &str,
) -> (vibrant_agent::AgentReport, Vec<AgentEvent>) {
    let cancel = AtomicBool::new(false);
    let mut events = Vec::new();
    let mut agent = Agent::new(model, &mut f.tools, config);
    let report = agent.run(task, &cancel, &mut |e| events.push(e.clone()));
    (report, events)
}

#[test]
fn the_first_passing_candidate_wins_and_undo_restores_the_files() {
    let mut f = fixture(&[
        ("calc.py", CALC),
        ("test_calc.py", TEST),
        ("Makefile", MAKEFILE),
    ]);
    let mut model = scripted(&[WRONG, RIGHT]);
    let (report, events) = run(
        &mut model,
        &mut f,
        config(4),
        "The test test_add fails. Fix the bug in calc.py.",
    );
    assert_eq!(report.outcome, Outcome::Done, "{report:?}");
    assert_eq!(report.candidates, 2);
    assert!(report.verification.as_ref().is_some_and(|v| v.passed));
    assert_eq!(read(&f, "calc.py"), CALC.replace("a - b", "a + b"));
    assert_eq!(read(&f, "test_calc.py"), TEST);
    // The first answer is greedy, the next sampled; both saw the failure and the function.
    assert_eq!(model.temperatures[0], 0.0);
    assert!(model.temperatures[1] > 0.0);
    let prompt = &model.prompts[0][1].content;
    assert!(prompt.contains("1 failed"), "{prompt}");
    assert!(prompt.contains("def add(a, b):"), "{prompt}");
    let candidates: Vec<(bool, &str)> = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::Candidate {
                passed, summary, ..
            } => Some((*passed, summary.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(candidates.len(), 2, "{candidates:?}");
    assert!(!candidates[0].0 && candidates[1].0);
    assert!(leftovers(&f).is_empty(), "{:?}", leftovers(&f));
    // One checkpoint for the task: undo gives the user's file back.
    f.tools.undo(1).unwrap();
    assert_eq!(read(&f, "calc.py"), CALC);
}

#[test]
fn failing_candidates_never_touch_the_users_files_and_leave_no_copies() {
    let mut f = fixture(&[
        ("calc.py", CALC),
        ("test_calc.py", TEST),
        ("Makefile", MAKEFILE),
    ]);
    let mut model = scripted(&[WRONG, WRONG, "no code here", WRONG]);
    let (report, events) = run(&mut model, &mut f, config(2), "Fix the bug in calc.py.");
    assert_ne!(report.outcome, Outcome::Done, "{report:?}");
    assert_eq!(read(&f, "calc.py"), CALC);
    assert!(leftovers(&f).is_empty(), "{:?}", leftovers(&f));
    // The second round showed the model its attempt and the failure it caused.
    let second_round = model
        .prompts
        .iter()
        .find(|p| p.len() == 4)
        .expect("a feedback round");
    assert!(second_round[3].content.contains("still fails"));
    assert!(events.iter().any(|e| matches!(e, AgentEvent::Notice { message } if message.contains("no candidate edit passed"))));
}

#[test]
fn a_candidate_that_edits_the_tests_is_refused() {
    let mut f = fixture(&[
        ("calc.py", CALC),
        ("test_calc.py", TEST),
        ("Makefile", MAKEFILE),
    ]);
    // The test file is shown read-only; an answer aimed at it is dropped, so it changes nothing.
    let mut model = scripted(&[EDITS_TEST, RIGHT]);
    let (report, _) = run(
        &mut model,
        &mut f,
        config(4),
        "Fix the bug in calc.py. Do not change the tests.",
    );
    assert_eq!(report.outcome, Outcome::Done, "{report:?}");
    assert_eq!(read(&f, "test_calc.py"), TEST);
    assert_eq!(report.candidates, 2);
}

#[test]
fn a_rename_is_tried_mechanically_first() {
    let mut f = fixture(&[
        (
            "pricing.py",
            "def compute_total(prices):\n    return sum(prices)\n",
        ),
        (
            "cart.py",
            "from pricing import compute_total\n\n\ndef cart_total(cart):\n    return compute_total(x for x in cart)\n",
        ),
        (
            "test_cart.py",
            "from pricing import compute_total\n\n\ndef test_compute_total():\n    assert compute_total([1, 2]) == 3\n",
        ),
        (
            "Makefile",
            "test:\n\t@! grep -rq compute_total --include='*.py' . && echo '1 passed'\n",
        ),
    ]);
    let mut model = scripted(&[]);
    let (report, _) = run(
        &mut model,
        &mut f,
        config(4),
        "Rename the function compute_total to sum_prices everywhere.",
    );
    assert_eq!(report.outcome, Outcome::Done, "{report:?}");
    assert!(model.prompts.is_empty(), "the model was not needed");
    assert!(read(&f, "test_cart.py").contains("def test_sum_prices():"));
    assert!(read(&f, "cart.py").contains("from pricing import sum_prices"));
}

#[test]
fn the_loop_refuses_done_when_nothing_changed() {
    // No candidates; the scripted model says it is done without changing anything, twice.
    let mut f = fixture(&[("calc.py", CALC), ("Makefile", MAKEFILE)]);
    let mut model = scripted(&["Done.", "Done."]);
    let mut cfg = config(0);
    cfg.max_steps = 5;
    let (report, _) = run(&mut model, &mut f, cfg, "Fix the bug in calc.py.");
    assert_eq!(report.outcome, Outcome::Unverified, "{report:?}");
    assert!(
        report.final_message.contains("no file was changed"),
        "{report:?}"
    );
}

/// "Add a feature, and a test for it": a candidate without a test, or with a test that passes
/// on the code as it was (it tests nothing the task asked for), is refused even though the
/// project's tests pass; one whose test fails without the change wins.
#[test]
fn a_change_that_needs_its_own_test_brings_one_that_fails_without_it() {
    // `scripts/prereqs.sh` (run by the README's test command and by CI) installs pytest.
    assert!(
        std::process::Command::new("python3")
            .args(["-c", "import pytest"])
            .status()
            .is_ok_and(|s| s.success()),
        "python3 with pytest is required (scripts/prereqs.sh installs it)"
    );
    let calc = "def add(a, b):\n    return a + b\n";
    let test = "from calc import *\n\n\ndef test_add():\n    assert add(2, 3) == 5\n";
    let mut f = fixture(&[("calc.py", calc), ("test_calc.py", test)]);
    let code = "calc.py\n```python\ndef sub(a, b):\n    return a - b\n```\n";
    let no_test = code.to_owned();
    let weak = format!(
        "{code}test_calc.py\n```python\nfrom calc import *\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\ndef test_add_again():\n    assert add(1, 1) == 2\n```\n"
    );
    let good = format!(
        "{code}test_calc.py\n```python\nfrom calc import *\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\ndef test_sub():\n    assert sub(5, 3) == 2\n```\n"
    );
    // The first three answers are asked for tests of the task (judges): none given here.
    let mut model = scripted(&["no test", "no test", "no test", &no_test, &weak, &good]);
    let (report, events) = run(
        &mut model,
        &mut f,
        config(3),
        "Add a function sub(a, b) to calc.py that returns a - b. Add a test for it to test_calc.py.",
    );
    let summaries: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::Candidate { summary, .. } => Some(summary.clone()),
            _ => None,
        })
        .collect();
    assert!(summaries[0].contains("adds no test"), "{summaries:?}");
    assert!(
        summaries[1].contains("passes without the change"),
        "{summaries:?}"
    );
    assert!(matches!(report.outcome, Outcome::Done), "{report:?}");
    assert_eq!(
        read(&f, "calc.py"),
        "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"
    );
    assert!(read(&f, "test_calc.py").contains("def test_sub"));
    assert!(!read(&f, "test_calc.py").contains("test_add_again"));
}
