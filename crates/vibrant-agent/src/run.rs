//! The loop: fit, ask, act, observe, verify, repeat.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde_json::Value;
use vibrant_core::{
    Backend, Conversation, FinishReason, Message, ToolCall, ToolChoice, Turn, TurnEvent,
};
use vibrant_tools::{ToolResult, Toolbox};

use crate::config::{AgentConfig, Verify};
use crate::event::AgentEvent;
use crate::plan::parse_plan;
use crate::prompt::system_prompt;
use crate::report::{AgentReport, Outcome, VerifyResult, diffstat};
use crate::solve::{SolveOutcome, SolveTally, Solver};
use crate::task;

/// The agent's own tool: the model calls it to end the task with a summary.
pub const FINISH_TOOL: &str = "finish";

/// The `finish` tool as the model sees it.
pub fn finish_tool() -> Value {
    serde_json::json!({"type": "function", "function": {
        "name": FINISH_TOOL,
        "description": "End the task: call this when it is done (or cannot be done), with a short summary of what you changed and how you verified it.",
        "parameters": {"type": "object", "properties": {
            "summary": {"type": "string", "description": "what changed, and how it was verified"}
        }, "required": ["summary"], "additionalProperties": false}
    }})
}

/// What the toolbox says when the doom-loop guard refuses a call.
const REPEAT_MARK: &str = "stopped: this is call number";

/// Empty answers answered with "continue" before one counts as the end.
const MAX_NUDGES: usize = 2;

/// Readable-call failures in a row after which the run is stuck.
const MAX_INVALID_IN_A_ROW: usize = 3;

/// One agent working on one workspace through one backend. Keep it across tasks (chat) so the
/// conversation, and with the embedded engine its KV cache, carry over.
pub struct Agent<'a> {
    backend: &'a mut dyn Backend,
    tools: &'a mut Toolbox,
    config: AgentConfig,
    /// Fitting, compaction and the request of each step, from `config`.
    turn: Turn,
    conversation: Conversation,
    tool_json: Vec<Value>,
    /// Prompt tokens the tool descriptions cost (measured once).
    tools_cost: Option<usize>,
}

#[derive(Default)]
struct Tally {
    steps: usize,
    tool_calls: usize,
    failed_calls: usize,
    invalid_calls: usize,
    reflections: usize,
    prompt_tokens: usize,
    reused_tokens: usize,
    completion_tokens: usize,
    final_message: String,
    verification: Option<VerifyResult>,
    candidates: usize,
}

impl<'a> Agent<'a> {
    /// An agent with a fresh conversation that starts with the agent's system prompt.
    pub fn new(backend: &'a mut dyn Backend, tools: &'a mut Toolbox, config: AgentConfig) -> Self {
        let root = tools.workspace().root().to_path_buf();
        let project = vibrant_tools::project::detect(&root).map(|k| k.name());
        let conversation = Conversation::new(&system_prompt(&root, project));
        let mut tool_json: Vec<Value> =
            tools.specs().iter().map(|s| s.to_function_json()).collect();
        tool_json.push(finish_tool());
        Self {
            backend,
            tools,
            turn: config.turn(),
            config,
            conversation,
            tool_json,
            tools_cost: None,
        }
    }

    /// Continues `conversation` instead (a chat that switched the agent on).
    pub fn with_conversation(mut self, conversation: Conversation) -> Self {
        self.conversation = conversation;
        self
    }

    /// The conversation so far (tool calls and results included).
    pub fn conversation(&self) -> &Conversation {
        &self.conversation
    }

    /// Gives the conversation back.
    pub fn into_conversation(self) -> Conversation {
        self.conversation
    }

    /// The tools as the model sees them (OpenAI function JSON).
    pub fn tool_json(&self) -> &[Value] {
        &self.tool_json
    }

    /// Works on `task` until done, stuck, out of budget or cancelled. Never panics; a backend
    /// failure ends the run with [`Outcome::Failed`].
    pub fn run(
        &mut self,
        task: &str,
        cancel: &AtomicBool,
        on_event: &mut dyn FnMut(&AgentEvent),
    ) -> AgentReport {
        let started = Instant::now();
        self.tools.begin_turn(task);
        self.tools.reset_repeat_guard();
        let mut t = Tally::default();
        let (solved, notes) = self.try_candidates(task, &mut t, cancel, on_event);
        let outcome = match solved {
            Some(outcome) => {
                self.conversation.push(Message::user(task));
                self.conversation
                    .push(Message::assistant(t.final_message.clone()));
                outcome
            }
            None => {
                let text = if notes.is_empty() {
                    task.to_owned()
                } else {
                    format!("{task}\n\n(Notes from a first attempt: {notes})")
                };
                self.conversation.push(Message::user(text));
                self.run_loop(task, &mut t, started, cancel, on_event)
            }
        };
        let files = match self.tools.turn_diff() {
            Ok(diffs) => diffs.iter().map(|(p, d)| diffstat(p, d)).collect(),
            Err(e) => {
                on_event(&AgentEvent::Notice {
                    message: format!("could not read this task's checkpoint for the summary: {e}"),
                });
                Vec::new()
            }
        };
        let report = AgentReport {
            outcome,
            steps: t.steps,
            tool_calls: t.tool_calls,
            failed_calls: t.failed_calls,
            invalid_calls: t.invalid_calls,
            reflections: t.reflections,
            files,
            verification: t.verification,
            final_message: t.final_message,
            prompt_tokens: t.prompt_tokens,
            reused_tokens: t.reused_tokens,
            completion_tokens: t.completion_tokens,
            candidates: t.candidates,
            elapsed_secs: started.elapsed().as_secs_f64(),
        };
        on_event(&AgentEvent::Finished {
            report: report.clone(),
        });
        report
    }

    /// The candidate phase ([`crate::solve`]): `Some(outcome)` when it settled the task, else
    /// the notes it leaves for the tool loop.
    fn try_candidates(
        &mut self,
        task_text: &str,
        t: &mut Tally,
        cancel: &AtomicBool,
        on_event: &mut dyn FnMut(&AgentEvent),
    ) -> (Option<Outcome>, String) {
        if self.config.candidates.candidates == 0
            || self.config.verify == Verify::Off
            || !task::asks_for_change(task_text)
        {
            return (None, String::new());
        }
        let mut st = SolveTally::default();
        // The phase's budget never outlasts the task's.
        let mut candidates = self.config.candidates.clone();
        if let Some(task_budget) = self.config.time_budget {
            candidates.budget = candidates.budget.min(task_budget);
            candidates.check_timeout = candidates.check_timeout.min(task_budget);
        }
        let result = {
            let mut solver = Solver {
                backend: &mut *self.backend,
                tools: &mut *self.tools,
                config: &candidates,
                verify_build: self.config.verify == Verify::Build,
                top_k: self.config.top_k,
                top_p: self.config.top_p,
                min_p: self.config.min_p,
                seed: self.config.seed,
            };
            solver.solve(task_text, cancel, &mut st, on_event)
        };
        t.steps += st.steps;
        t.prompt_tokens += st.prompt_tokens;
        t.reused_tokens += st.reused_tokens;
        t.completion_tokens += st.completion_tokens;
        if cancel.load(Ordering::Relaxed) {
            return (Some(Outcome::Cancelled), String::new());
        }
        match result {
            SolveOutcome::Solved {
                verification,
                candidates,
            } => {
                t.candidates = candidates;
                t.tool_calls += 1;
                t.final_message = format!(
                    "Applied candidate edit {candidates}, which passed the project's check on a copy of the workspace first ({}).",
                    verification.summary
                );
                t.verification = Some(verification);
                (Some(Outcome::Done), String::new())
            }
            SolveOutcome::NotSolved { candidates, notes } => {
                t.candidates = candidates;
                on_event(&AgentEvent::Notice {
                    message: format!(
                        "no candidate edit passed the check ({candidates} tried); working step by step with tools"
                    ),
                });
                (None, notes)
            }
            SolveOutcome::Skipped { reason } => {
                on_event(&AgentEvent::Notice {
                    message: format!("no candidate edits: {reason}"),
                });
                (None, String::new())
            }
        }
    }

    fn run_loop(
        &mut self,
        task_text: &str,
        t: &mut Tally,
        started: Instant,
        cancel: &AtomicBool,
        on_event: &mut dyn FnMut(&AgentEvent),
    ) -> Outcome {
        let mut edits_unverified = false;
        let mut repeats_in_a_row = 0;
        let mut invalid_in_a_row = 0;
        let mut nudges = 0;
        let mut unchanged_finishes = 0;
        let tests_allowed = task::asks_for_tests(task_text);
        let wants_change = task::asks_for_change(task_text);
        loop {
            if cancel.load(Ordering::Relaxed) {
                return Outcome::Cancelled;
            }
            if t.steps >= self.config.max_steps {
                return Outcome::StepBudget;
            }
            if self
                .config
                .time_budget
                .is_some_and(|b| started.elapsed() >= b)
            {
                return Outcome::TimeBudget;
            }
            let prepared = match self.fit(cancel, on_event) {
                Ok(p) => p,
                Err(e) => return Outcome::Failed { message: e },
            };
            t.steps += 1;
            on_event(&AgentEvent::Step {
                step: t.steps,
                prompt_tokens: prepared.prompt_tokens,
                window: prepared.window,
            });
            let mut request = self
                .turn
                .request(self.conversation.messages(), self.turn.max_tokens);
            request.tools = &self.tool_json;
            // Every answer is a call; `finish` is how the model ends the task.
            request.tool_choice = ToolChoice::Required;
            let mut on_turn = |e: &TurnEvent| {
                if let TurnEvent::Delta { text } = e {
                    on_event(&AgentEvent::Delta { text: text.clone() });
                }
            };
            let result = self
                .turn
                .complete(&mut *self.backend, &request, cancel, &mut on_turn);
            let completion = match result {
                Ok(c) => c,
                Err(e) => {
                    return Outcome::Failed {
                        message: e.to_string(),
                    };
                }
            };
            let u = &completion.usage;
            t.prompt_tokens += u.prompt_tokens.unwrap_or(0);
            t.reused_tokens += u.reused_tokens.unwrap_or(0);
            t.completion_tokens += u.completion_tokens.unwrap_or(0);
            if let Some(items) = parse_plan(&completion.text) {
                on_event(&AgentEvent::Plan { items });
            }
            self.conversation.push(Message::assistant_with_calls(
                completion.text.clone(),
                completion.tool_calls.clone(),
            ));
            match &completion.finish {
                FinishReason::Cancelled => return Outcome::Cancelled,
                FinishReason::Failed(m) if completion.tool_calls.is_empty() => {
                    return Outcome::Failed { message: m.clone() };
                }
                _ => {}
            }

            for message in &completion.invalid_tool_calls {
                t.invalid_calls += 1;
                on_event(&AgentEvent::InvalidCall {
                    message: message.clone(),
                });
            }
            if completion.tool_calls.is_empty() && !completion.invalid_tool_calls.is_empty() {
                invalid_in_a_row += 1;
                if invalid_in_a_row >= MAX_INVALID_IN_A_ROW {
                    return Outcome::Stuck {
                        reason: format!(
                            "the model wrote {MAX_INVALID_IN_A_ROW} unreadable tool calls in a row"
                        ),
                    };
                }
                self.conversation.push(Message::user(invalid_call_feedback(
                    &completion.invalid_tool_calls,
                )));
                continue;
            }
            invalid_in_a_row = 0;

            if completion.tool_calls.is_empty() && matches!(completion.finish, FinishReason::Length)
            {
                // Cut off mid-answer: not a claim to be done. Ask for a shorter step.
                on_event(&AgentEvent::Notice {
                    message:
                        "the answer reached the token limit of one step; asking for a tool call"
                            .to_owned(),
                });
                self.conversation.push(Message::user(
                    "Your answer was cut off at the length limit. Do not write code in your answer: \
                     make changes with the tools, one call at a time.",
                ));
                continue;
            }
            if completion.tool_calls.is_empty()
                && completion.text.trim().is_empty()
                && nudges < MAX_NUDGES
            {
                // An empty answer is not a finish: small models fall silent after an error.
                nudges += 1;
                self.conversation.push(Message::user(
                    "Your answer was empty. Continue the task with a tool call, or say why you stopped.",
                ));
                continue;
            }
            // `finish` ends the task; the calls before it in the same answer still run.
            let finish_at = completion
                .tool_calls
                .iter()
                .position(|c| c.name == FINISH_TOOL);
            let (calls, finish) = match finish_at {
                Some(i) => (&completion.tool_calls[..i], Some(&completion.tool_calls[i])),
                None => (&completion.tool_calls[..], None),
            };
            for call in calls {
                if cancel.load(Ordering::Relaxed) {
                    // Answer the calls that did not run, so the history stays well-formed.
                    self.conversation.push(Message::tool_result(
                        call,
                        "error: not run, the user cancelled",
                    ));
                    continue;
                }
                let r = self.call_tool(call, on_event);
                t.tool_calls += 1;
                if !r.ok {
                    t.failed_calls += 1;
                }
                if r.output.contains(REPEAT_MARK) {
                    repeats_in_a_row += 1;
                } else {
                    repeats_in_a_row = 0;
                }
                if r.ok && !r.changed_files.is_empty() {
                    edits_unverified = true;
                }
                if r.ok && matches!(call.name.as_str(), "run_tests" | "run_build") {
                    let result = verify_result(&call.name, &r.output);
                    // The model's own passing check counts as verification when it checked
                    // everything (a filtered test run does not).
                    let filtered = call
                        .arguments
                        .get("filter")
                        .and_then(Value::as_str)
                        .is_some_and(|f| !f.trim().is_empty());
                    if result.passed
                        && !filtered
                        && (self.config.verify != Verify::Tests || call.name == "run_tests")
                    {
                        edits_unverified = false;
                    }
                    t.verification = Some(result);
                }
                self.conversation.push(Message::tool_result(call, r.output));
            }
            // Calls after `finish` in the same answer are not run.
            if let Some(i) = finish_at {
                for call in &completion.tool_calls[i + 1..] {
                    self.conversation.push(Message::tool_result(
                        call,
                        "error: not run, it came after finish",
                    ));
                }
            }
            if cancel.load(Ordering::Relaxed) {
                return Outcome::Cancelled;
            }

            if finish.is_some() || completion.tool_calls.is_empty() {
                // The model says it is done.
                let summary = finish
                    .and_then(|c| c.arguments.get("summary"))
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("");
                t.final_message = [completion.text.trim(), summary.trim()]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join("\n\n");
                let not_finished = |conversation: &mut Conversation, why: String| match finish {
                    Some(call) => conversation.push(Message::tool_result(call, why)),
                    None => conversation.push(Message::user(why)),
                };
                // Nothing changed for a task that asks for a change, or tests changed that
                // the task does not let change: not done.
                let changed: Vec<String> = self
                    .tools
                    .turn_diff()
                    .map(|d| d.into_iter().map(|(p, _)| p).collect())
                    .unwrap_or_default();
                if wants_change && changed.is_empty() {
                    unchanged_finishes += 1;
                    if unchanged_finishes > 1 {
                        t.final_message =
                            format!("Not done: no file was changed. {}", t.final_message);
                        if let Some(call) = finish {
                            self.conversation
                                .push(Message::tool_result(call, "finished"));
                        }
                        return Outcome::Unverified;
                    }
                    not_finished(
                        &mut self.conversation,
                        "not finished: no file has been changed, but the task asks for a change. Make the change with edit_file or write_file, check it, then call finish.".to_owned(),
                    );
                    continue;
                }
                let test_edits: Vec<&String> = changed
                    .iter()
                    .filter(|p| vibrant_tools::locate::is_test_path(p))
                    .collect();
                if !tests_allowed && !test_edits.is_empty() {
                    let names: Vec<&str> = test_edits.iter().map(|s| s.as_str()).collect();
                    if t.reflections >= self.config.max_reflections {
                        t.final_message = format!(
                            "Not done: the tests were changed ({}) although the task does not ask for it. {}",
                            names.join(", "),
                            t.final_message
                        );
                        if let Some(call) = finish {
                            self.conversation
                                .push(Message::tool_result(call, "finished"));
                        }
                        return Outcome::Unverified;
                    }
                    t.reflections += 1;
                    not_finished(
                        &mut self.conversation,
                        format!(
                            "not finished: you changed the tests ({}), but the task does not ask for that. Put the tests back as they were and fix the code instead.",
                            names.join(", ")
                        ),
                    );
                    continue;
                }
                // A check that failed still stands until a check passes: the model gets the
                // failure again (while reflections last) even when it changed nothing since.
                let last_failed = t.verification.as_ref().is_some_and(|v| !v.passed);
                let verdict = if self.config.verify == Verify::Off
                    || !(edits_unverified || last_failed)
                {
                    Some(Outcome::Done)
                } else if !edits_unverified && t.reflections >= self.config.max_reflections {
                    Some(Outcome::Unverified)
                } else {
                    edits_unverified = false;
                    match self.verify(on_event) {
                        None => Some(Outcome::Done),
                        Some((result, output)) => {
                            let passed = result.passed;
                            t.verification = Some(result);
                            if passed {
                                Some(Outcome::Done)
                            } else if t.reflections >= self.config.max_reflections {
                                Some(Outcome::Unverified)
                            } else {
                                t.reflections += 1;
                                not_finished(
                                    &mut self.conversation,
                                    format!(
                                        "not finished: I ran the check after your changes and it failed:\n{}\nFix the problem, then call finish again.",
                                        output.trim_end()
                                    ),
                                );
                                None
                            }
                        }
                    }
                };
                if let Some(outcome) = verdict {
                    if let Some(call) = finish {
                        self.conversation
                            .push(Message::tool_result(call, "finished"));
                    }
                    return outcome;
                }
                continue;
            }

            if !completion.invalid_tool_calls.is_empty() {
                self.conversation.push(Message::user(invalid_call_feedback(
                    &completion.invalid_tool_calls,
                )));
            }
            if cancel.load(Ordering::Relaxed) {
                return Outcome::Cancelled;
            }
            if repeats_in_a_row >= 2 {
                return Outcome::Stuck {
                    reason: "the model kept repeating the same tool call".to_owned(),
                };
            }
        }
    }

    fn call_tool(&mut self, call: &ToolCall, on_event: &mut dyn FnMut(&AgentEvent)) -> ToolResult {
        on_event(&AgentEvent::ToolCall {
            id: call.id.clone(),
            name: call.name.clone(),
            arguments: call.arguments.clone(),
        });
        let r = self.tools.call(&call.name, &call.arguments);
        on_event(&AgentEvent::ToolResult {
            id: call.id.clone(),
            name: call.name.clone(),
            ok: r.ok,
            summary: r.output.lines().next().unwrap_or("").to_owned(),
            output: r.output.clone(),
            diff: r.diff.clone(),
            changed_files: r.changed_files.clone(),
        });
        r
    }

    /// Runs the configured check; `None` when there is nothing to run (no project tool found).
    fn verify(&mut self, on_event: &mut dyn FnMut(&AgentEvent)) -> Option<(VerifyResult, String)> {
        let root = self.tools.workspace().root().to_path_buf();
        let tool = match self.config.verify {
            Verify::Off => return None,
            Verify::Tests => "run_tests",
            Verify::Build => "run_build",
            Verify::Auto => {
                vibrant_tools::project::detect(&root)?;
                "run_tests"
            }
        };
        on_event(&AgentEvent::Notice {
            message: format!("checking the changes with {tool}"),
        });
        let r = self
            .tools
            .call(tool, &Value::Object(serde_json::Map::new()));
        // A check of ours must not count towards the model's repeated-call limit.
        self.tools.reset_repeat_guard();
        if !r.ok {
            // Denied by the user, or no tool after all: report, do not loop on it.
            on_event(&AgentEvent::Notice {
                message: format!("the automatic check did not run: {}", first_line(&r.output)),
            });
            return None;
        }
        let result = verify_result(tool, &r.output);
        on_event(&AgentEvent::Verify {
            result: result.clone(),
        });
        Some((result, r.output))
    }

    /// Makes the conversation fit the window with room for the answer and the tools; compacts
    /// older turns when pruning is not enough.
    fn fit(
        &mut self,
        cancel: &AtomicBool,
        on_event: &mut dyn FnMut(&AgentEvent),
    ) -> Result<vibrant_core::Prepared, String> {
        let tools_cost = match self.tools_cost {
            Some(c) => c,
            None => {
                let msgs = self.conversation.messages();
                let with = self
                    .backend
                    .count_prompt_with_tools(msgs, &self.tool_json)
                    .map_err(|e| e.to_string())?;
                let without = self.backend.count_prompt(msgs).map_err(|e| e.to_string())?;
                let c = with.saturating_sub(without);
                self.tools_cost = Some(c);
                c
            }
        };
        let reserve = self.turn.max_tokens + tools_cost;
        let p = self
            .turn
            .fit(
                &mut self.conversation,
                &mut *self.backend,
                reserve,
                cancel,
                &mut |e| {
                    if let TurnEvent::Compacting { .. } = e {
                        on_event(&AgentEvent::Notice {
                            message: "the context window is full: summarising older steps"
                                .to_owned(),
                        });
                    }
                },
            )
            .map_err(|e| e.to_string())?;
        if p.pruned > 0 {
            on_event(&AgentEvent::Notice {
                message: format!(
                    "pruned {} old tool output(s) to fit the context window",
                    p.pruned
                ),
            });
        }
        Ok(with_tools(p, tools_cost))
    }
}

fn with_tools(mut p: vibrant_core::Prepared, tools_cost: usize) -> vibrant_core::Prepared {
    p.prompt_tokens += tools_cost;
    p
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

fn verify_result(tool: &str, output: &str) -> VerifyResult {
    let summary = first_line(output).to_owned();
    VerifyResult {
        tool: tool.to_owned(),
        passed: summary.contains(" PASSED "),
        summary,
    }
}

fn invalid_call_feedback(problems: &[String]) -> String {
    let mut s = String::from("Your tool call could not be read:\n");
    for p in problems {
        s.push_str("- ");
        s.push_str(p);
        s.push('\n');
    }
    s.push_str(
        "Call the tool again as one JSON object: <tool_call>\n{\"name\": \"tool_name\", \"arguments\": {...}}\n</tool_call>",
    );
    s
}
