//! Test-verified candidates: what a local engine can do that an API cannot afford.
//!
//! Before the tool loop, when the project has a check (its tests), the agent:
//! 1. runs the check on a scratch copy of the workspace and reads the failures;
//! 2. localises: the functions the failures, the failing tests and the task point at
//!    ([`vibrant_tools::locate::suspects`]);
//! 3. shows the model only those functions (whole files when small) and asks for the new
//!    versions of the functions it changes, in code blocks — the edit format small models get
//!    right ([`vibrant_tools::symbol_edit`]);
//! 4. samples several candidates from the same prompt (the engine computes the prompt once and
//!    every candidate reuses its KV cache), applies each to the scratch copy and runs the check
//!    there, and stops at the first that passes;
//! 5. if none passes, shows the model its best attempt and the new failure, and samples again;
//! 6. only the winner reaches the user's files, through the toolbox (diff, approval, checkpoint,
//!    undo). A candidate that fails never touches them.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use vibrant_core::{Backend, CompletionRequest, Message, Sampling, ToolChoice};
use vibrant_tools::locate::{SourceFile, Sources, Suspect, suspects};
use vibrant_tools::output::cap_head_tail;
use vibrant_tools::project::{ProjectKind, summarize};
use vibrant_tools::symbol_edit::{CodeBlock, apply_block, parse_blocks};
use vibrant_tools::{Scratch, ScratchLimits, Toolbox};

use crate::event::AgentEvent;
use crate::report::VerifyResult;
use crate::{task, task_tests};

/// How many candidates, rounds and how much time the candidate phase may take.
#[derive(Clone, Debug)]
pub struct CandidateConfig {
    /// Candidates sampled per round (0 turns the phase off).
    pub candidates: usize,
    /// Rounds: the second and later show the model its best failed attempt.
    pub rounds: usize,
    /// Sampling temperature of the candidates after the first (which is greedy).
    pub temperature: f32,
    /// Wall-clock budget of the phase (the check runs included).
    pub budget: Duration,
    /// Timeout of one run of the check.
    pub check_timeout: Duration,
}

impl Default for CandidateConfig {
    fn default() -> Self {
        Self {
            candidates: 4,
            rounds: 6,
            temperature: 0.7,
            budget: Duration::from_secs(240),
            check_timeout: Duration::from_secs(180),
        }
    }
}

/// How the candidate phase ended.
#[derive(Debug)]
pub(crate) enum SolveOutcome {
    /// A candidate passed the check and was applied to the user's files.
    Solved {
        verification: VerifyResult,
        candidates: usize,
    },
    /// No candidate passed (or the winner could not be applied); `notes` tell the tool loop
    /// what was learned.
    NotSolved { candidates: usize, notes: String },
    /// The phase does not apply (no check, no code found, the user declined the check).
    Skipped { reason: String },
}

/// Lines of a file up to which it is shown (and may be rewritten) whole.
const WHOLE_FILE_LINES: usize = 30;
/// Lines of code shown to be changed, at most.
const MAX_SHOWN_LINES: usize = 320;
/// Lines up to which a file the task names is shown whole.
const NAMED_FILE_LINES: usize = 150;
/// Definitions shown to be changed, at most.
const MAX_SHOWN: usize = 6;
/// The most failing tests shown read-only, and their lines together (the first is always shown).
const MAX_TESTS_SHOWN: usize = 6;
const MAX_TEST_LINES: usize = 120;

/// One piece of code shown to the model.
struct Shown {
    path: String,
    /// Whole file, or the definitions' start lines (targets for renames).
    whole: bool,
    targets: Vec<u32>,
    text: String,
    lang_fence: &'static str,
    start_line: u32,
}

/// The best test-writing candidate so far: its tests pass; `killed` mutants fail them.
struct BestTests {
    killed: usize,
    files: BTreeMap<String, String>,
    index: usize,
    summary: String,
    answer: String,
    /// A mutant the tests missed, as a one-line diff.
    survivor: Option<String>,
}

/// The lines that differ between two versions of a file, as `-`/`+` lines.
fn line_diff(old: &str, new: &str) -> String {
    let mut out = String::new();
    for (a, b) in old.lines().zip(new.lines()) {
        if a != b {
            let _ = write!(out, "-{a}\n+{b}\n");
        }
    }
    out
}

/// A tried candidate.
struct Tried {
    files: BTreeMap<String, String>,
    answer: String,
    output: String,
    failed: u32,
    /// Tests that passed (a refused or judged candidate, whose check passed or did not run:
    /// [`PASSED_OTHERWISE`]); the closest attempt passes the most, then fails the fewest.
    passed: u32,
    /// The project's tests passed; `output` is a failing test of the task.
    judged: bool,
}

/// [`Tried::passed`] of a candidate that was refused after, or instead of, the check.
const PASSED_OTHERWISE: u32 = 1_000;

/// The fix candidate that the most tests of the task pass (all of the project's do).
struct BestJudged {
    passed: usize,
    files: BTreeMap<String, String>,
    index: usize,
    summary: String,
}

pub(crate) struct Solver<'s> {
    pub backend: &'s mut dyn Backend,
    pub tools: &'s mut Toolbox,
    pub config: &'s CandidateConfig,
    pub verify_build: bool,
    pub top_k: usize,
    pub top_p: f32,
    pub min_p: f32,
    pub seed: Option<u64>,
}

/// Tokens and tool-call tallies the phase adds to the report.
#[derive(Default, Debug)]
pub(crate) struct SolveTally {
    pub prompt_tokens: usize,
    pub reused_tokens: usize,
    pub completion_tokens: usize,
    pub steps: usize,
}

impl Solver<'_> {
    /// Tries test-verified candidate edits for `task_text` within `agent.budget`. Generation
    /// stops at the user's Ctrl-C (`cancel`) or when the budget runs out, whichever comes first.
    pub(crate) fn solve(
        &mut self,
        task_text: &str,
        cancel: &AtomicBool,
        tally: &mut SolveTally,
        on_event: &mut dyn FnMut(&AgentEvent),
    ) -> SolveOutcome {
        let started = Instant::now();
        let deadline = started + self.config.budget;
        let stop = AtomicBool::new(false);
        let done = AtomicBool::new(false);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                while !done.load(Ordering::Relaxed) {
                    if cancel.load(Ordering::Relaxed) || Instant::now() >= deadline {
                        stop.store(true, Ordering::Relaxed);
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            });
            let outcome = self.solve_until(task_text, started, cancel, &stop, tally, on_event);
            done.store(true, Ordering::Relaxed);
            outcome
        })
    }

    /// [`Solver::solve`]; `stop` is set at the user's Ctrl-C or when the budget runs out.
    fn solve_until(
        &mut self,
        task_text: &str,
        started: Instant,
        cancel: &AtomicBool,
        stop: &AtomicBool,
        tally: &mut SolveTally,
        on_event: &mut dyn FnMut(&AgentEvent),
    ) -> SolveOutcome {
        let root = self.tools.workspace().root().to_path_buf();
        let Some(kind) = vibrant_tools::project::detect(&root) else {
            return SolveOutcome::Skipped {
                reason: "no test or build tool detected".to_owned(),
            };
        };
        let command = if self.verify_build {
            kind.build_command(&root)
        } else {
            kind.test_command(&root, None)
        };
        let check_command = isolate_command(kind, &command);
        if let Err(e) = self.tools.approve_checks(&check_command) {
            return SolveOutcome::Skipped {
                reason: e.to_string(),
            };
        }
        let mut scratch = match self.tools.scratch(ScratchLimits::default()) {
            Ok(s) => s,
            Err(e) => {
                return SolveOutcome::Skipped {
                    reason: e.to_string(),
                };
            }
        };
        on_event(&AgentEvent::Notice {
            message: format!("running `{command}` on a scratch copy to see what fails"),
        });
        let baseline = match self.check(&mut scratch, &check_command, &BTreeMap::new()) {
            Ok(b) => b,
            Err(e) => {
                return SolveOutcome::Skipped {
                    reason: format!("the check could not run: {e}"),
                };
            }
        };
        if cancel.load(Ordering::Relaxed) {
            return SolveOutcome::Skipped {
                reason: "cancelled".to_owned(),
            };
        }
        let tests_allowed =
            task::asks_for_tests(task_text) || (baseline.0 && !task::forbids_test_edits(task_text));
        let sources = Sources::load(&root, 5_000, 1 << 20);
        let protected: Vec<String> = task::protected_paths(task_text)
            .iter()
            .filter_map(|p| sources.resolve(&root, p))
            .collect();
        let failure = if baseline.0 { "" } else { baseline.1.as_str() };
        // Files the task names that do not exist yet: a candidate may create them.
        let new_paths: Vec<String> = task_text
            .split_whitespace()
            .filter_map(vibrant_tools::symbol_edit::path_like)
            .filter(|p| !p.starts_with('/') && !root.join(p).exists())
            .collect();
        let ranked = suspects(&sources, &root, failure, task_text);
        let shown = choose_shown(
            &sources,
            &root,
            &ranked,
            failure,
            tests_allowed,
            task_text,
            &protected,
        );
        // Writing tests: a candidate must add test code, and its tests must catch mutants of
        // the code under test (what a test that can fail means).
        let writes_tests =
            baseline.0 && task::asks_for_tests(task_text) && !task::asks_for_code_change(task_text);
        // A change and its test ("… Add a test for this"): a candidate brings a test, and that
        // test must fail on the code as it was (else it tests nothing the task asked for).
        let wants_own_test =
            task::asks_for_tests(task_text) && task::asks_for_code_change(task_text);
        let mutants = if writes_tests {
            mutants_of(&sources, &ranked, &protected, 8)
        } else {
            Vec::new()
        };
        // An example for each new file: a file of the same kind beside it, read-only.
        let mut shown = shown;
        mark_failure_lines(
            &mut shown,
            &sources,
            &root,
            &format!("{failure}\n{task_text}"),
        );
        for np in &new_paths {
            let dir = np.rsplit_once('/').map_or("", |(d, _)| d);
            let ext = np.rsplit_once('.').map_or("", |(_, e)| e);
            if let Some(f) = sources.files.iter().find(|f| {
                f.path.rsplit_once('/').map_or("", |(d, _)| d) == dir
                    && f.path.ends_with(&format!(".{ext}"))
                    && f.text.lines().count() <= 80
            }) {
                shown.push((
                    Shown {
                        path: f.path.clone(),
                        whole: true,
                        targets: Vec::new(),
                        text: f.text.clone(),
                        lang_fence: f.lang.fence(),
                        start_line: 1,
                    },
                    true,
                ));
            }
        }
        if shown.iter().all(|s| s.1) && new_paths.is_empty() {
            return SolveOutcome::Skipped {
                reason: "found no code to change from the task and the check's output".to_owned(),
            };
        }
        // Unfinished functions the task asks to implement: an answer that keeps a placeholder
        // is no candidate.
        let stubs = if task::asks_to_implement(task_text) {
            stub_lines(shown.iter().filter(|(_, ro)| !ro).map(|(s, _)| s))
        } else {
            Vec::new()
        };
        let prompt = build_prompt(
            task_text,
            &command,
            &baseline,
            &shown,
            tests_allowed,
            &new_paths,
            &stubs,
        );
        tracing::debug!(prompt = %prompt, "candidate prompt");
        let base_texts: BTreeMap<String, Option<String>> = shown
            .iter()
            .map(|(s, _)| (s.path.clone(), sources.get(&s.path).map(|f| f.text.clone())))
            .collect();
        let editable: Vec<&Shown> = shown.iter().filter(|(_, ro)| !ro).map(|(s, _)| s).collect();
        on_event(&AgentEvent::Notice {
            message: format!(
                "trying up to {} candidate edits of {} (checked on a scratch copy)",
                self.config.candidates * self.config.rounds,
                describe_shown(&editable)
            ),
        });

        let mut tried: Vec<Tried> = Vec::new();
        let mut seen: HashSet<BTreeMap<String, String>> = HashSet::new();
        let mut n = 0usize;
        // Test-writing candidates that passed, by mutants caught: (killed, files, index, summary).
        let mut best_tests: Option<BestTests> = None;
        // A rename is mechanical: the agent's own candidate goes first.
        let pairs = task::rename_pairs(task_text);
        if let Some((old, new)) = pairs.first().cloned() {
            let files = mechanical_rename(&sources, &pairs);
            if !files.is_empty()
                && forbidden_test_change(&sources, &files, true).is_none()
                && leftover_name(&sources, &files, task_text).is_none()
            {
                n += 1;
                seen.insert(files.clone());
                let (passed, output) = self
                    .check(&mut scratch, &check_command, &files)
                    .unwrap_or_else(|e| (false, format!("the check could not run: {e}")));
                let sum = summarize(&output);
                let summary = format!(
                    "rename `{old}` → `{new}` in {} file(s): {}",
                    files.len(),
                    first_line(&verdict_line(passed, &sum, &output))
                );
                on_event(&AgentEvent::Candidate {
                    round: 1,
                    index: n,
                    temperature: 0.0,
                    passed,
                    summary: summary.clone(),
                });
                if passed {
                    drop(scratch);
                    let based_on: BTreeMap<String, Option<String>> = files
                        .keys()
                        .map(|p| (p.clone(), sources.get(p).map(|f| f.text.clone())))
                        .collect();
                    return self.apply_winner(&files, &based_on, &command, n, summary, on_event);
                }
            }
        }
        // The project's tests pass already (a traceback, a new parameter, a feature): they
        // cannot judge a fix, so tests of the task written first judge the candidates.
        let judge_path = if baseline.0
            && !writes_tests
            && pairs.is_empty()
            && task::asks_for_change(task_text)
        {
            task_tests::task_test_path(&sources, &ranked)
        } else {
            None
        };
        let judges = match &judge_path {
            Some((path, example)) => {
                let crash = crash_key(task_text);
                let p = task_tests::prompt(
                    task_text,
                    &render_code(shown.iter().map(|(s, _)| s)),
                    *example,
                    path,
                    crash.as_deref(),
                );
                self.write_judges(
                    &mut scratch,
                    &check_command,
                    p,
                    (path, *example, &sources),
                    crash.as_deref(),
                    started + self.config.budget,
                    stop,
                    tally,
                    on_event,
                )
            }
            None => Vec::new(),
        };
        // A crash with no test that reproduces it: a candidate must at least change the code
        // where it crashes (a no-op that keeps the passing tests passing is no fix).
        let crash_site =
            if judge_path.is_some() && judges.is_empty() && crash_key(task_text).is_some() {
                crash_site(&sources, &root, task_text)
            } else {
                None
            };
        let judge_path = judge_path.map(|(p, _)| p).unwrap_or_default();
        let mut best_judged: Option<BestJudged> = None;
        let mut messages = vec![Message::system(SYSTEM), Message::user(prompt.clone())];
        // The messages of the last round: a round with the same prompt samples only (its greedy
        // answer is known already).
        let mut last_messages: Option<Vec<Message>> = None;
        'rounds: for round in 0..self.config.rounds.max(1) {
            if round > 0
                && let Some(best) = best_tests.as_ref().filter(|b| b.survivor.is_some())
            {
                // Tests that pass but miss a bug: show the bug they miss.
                messages = vec![
                    Message::system(SYSTEM),
                    Message::user(prompt.clone()),
                    Message::assistant(best.answer.clone()),
                    Message::user(format!(
                        "Those tests pass, but they also pass when the code under test is broken like this:\n```diff\n{}\n```\nAdd assertions that fail for this broken version (test the edge cases), and write the complete test code again in the same format.",
                        best.survivor.as_deref().unwrap_or("")
                    )),
                ];
            } else if round > 0 {
                // The closest attempt; of equals the latest, so that rounds build on each
                // other instead of repeating one prompt.
                // Every answer so far was refused before a check (a placeholder kept, a test
                // changed): the same prompt again, all sampled.
                // Every answer so far was refused before a check (a placeholder kept): the same
                // prompt again, all sampled.
                if let Some(best) = tried
                    .iter()
                    .rev()
                    .min_by_key(|t| (std::cmp::Reverse(t.passed), t.failed))
                {
                    let why = if best.judged {
                        format!(
                            "That change is not complete: the project's tests pass, but this test of what the task asks fails:\n{}\nThe test is right: do not write it again or change it. Change the code so that it passes.",
                            best.output
                        )
                    } else {
                        format!(
                            "That change did not work: the check still fails.\n```\n{}\n```{}",
                            condense(&best.output, 2000),
                            failing_test_code(&sources, &root, &best.output)
                        )
                    };
                    messages = vec![
                        Message::system(SYSTEM),
                        Message::user(prompt.clone()),
                        Message::assistant(best.answer.clone()),
                        Message::user(format!(
                            "{why}\nWrite the corrected code again, complete, in the same format."
                        )),
                    ];
                }
            }
            if cancel.load(Ordering::Relaxed) {
                return SolveOutcome::NotSolved {
                    candidates: n,
                    notes: String::new(),
                };
            }
            if started.elapsed() >= self.config.budget {
                on_event(&AgentEvent::Notice {
                    message: "the candidate budget ran out".to_owned(),
                });
                break 'rounds;
            }
            // One batch of answers to one prompt: the first greedy when the prompt is new, the
            // rest sampled, each with its own seed.
            let new_prompt = last_messages.as_ref() != Some(&messages);
            last_messages = Some(messages.clone());
            let k = self.config.candidates.max(1);
            let variants: Vec<Sampling> = (0..k)
                .map(|i| Sampling {
                    // Later rounds sample hotter: a repair prompt holds the earlier answer,
                    // which a small model otherwise copies.
                    temperature: if i == 0 && new_prompt {
                        0.0
                    } else {
                        (self.config.temperature + 0.15 * round as f32)
                            .min(self.config.temperature.max(1.1))
                    },
                    seed: Some(
                        self.seed
                            .unwrap_or(0)
                            .wrapping_add((round * k + i) as u64 + 1),
                    ),
                })
                .collect();
            tally.steps += 1;
            on_event(&AgentEvent::Notice {
                message: format!(
                    "sampling {k} candidate edits in one batch (round {})",
                    round + 1
                ),
            });
            let max_tokens = answer_tokens(&*self.backend, &editable);
            let request = self.candidate_request(&messages, max_tokens);
            // Each answer is checked as soon as it is complete, while the others wait; the
            // batch is dropped once one passes.
            let mut answers = match self.backend.answers(&request, &variants) {
                Ok(a) => a,
                Err(e) => {
                    on_event(&AgentEvent::Notice {
                        message: format!("the model failed on the candidates: {e}"),
                    });
                    break 'rounds;
                }
            };
            let mut j = 0usize;
            loop {
                let (i, completion) = match answers.next_answer(stop) {
                    Ok(Some(a)) => a,
                    Ok(None) => break,
                    Err(e) => {
                        on_event(&AgentEvent::Notice {
                            message: format!("the model failed on the candidates: {e}"),
                        });
                        break 'rounds;
                    }
                };
                let first = j == 0;
                j += 1;
                if cancel.load(Ordering::Relaxed) {
                    return SolveOutcome::NotSolved {
                        candidates: n,
                        notes: String::new(),
                    };
                }
                let variant = &variants[i.min(variants.len() - 1)];
                if started.elapsed() >= self.config.budget {
                    on_event(&AgentEvent::Notice {
                        message: "the candidate budget ran out".to_owned(),
                    });
                    break 'rounds;
                }
                n += 1;
                let temperature = variant.temperature;
                let u = &completion.usage;
                // The prompt is shared: count it once per batch.
                if first {
                    tally.prompt_tokens += u.prompt_tokens.unwrap_or(0);
                    tally.reused_tokens += u.reused_tokens.unwrap_or(0);
                }
                tally.completion_tokens += u.completion_tokens.unwrap_or(0);
                tracing::debug!(candidate = n, answer = %completion.text, "candidate answer");
                // Not applied: no usable block, or an implementation that keeps a placeholder.
                let files = match candidate_files(&sources, &editable, &completion.text, &new_paths)
                    .and_then(|f| kept_stub(&sources, &f, &stubs).map_or(Ok(f), Err))
                {
                    Ok(f) => f,
                    Err(why) => {
                        on_event(&candidate_event(
                            round,
                            n,
                            temperature,
                            false,
                            format!("not applied: {why}"),
                        ));
                        continue;
                    }
                };
                if let Some(why) = forbidden_test_change(&sources, &files, tests_allowed) {
                    on_event(&candidate_event(
                        round,
                        n,
                        temperature,
                        false,
                        format!("refused: {why}"),
                    ));
                    continue;
                }
                if let Some(p) = files.keys().find(|p| protected.contains(p)) {
                    on_event(&candidate_event(
                        round,
                        n,
                        temperature,
                        false,
                        format!("refused: it changes {p}, which the task says to leave alone"),
                    ));
                    continue;
                }
                if (writes_tests || wants_own_test) && !adds_test_code(&sources, &files) {
                    on_event(&candidate_event(
                        round,
                        n,
                        temperature,
                        false,
                        "refused: it adds no test code".to_owned(),
                    ));
                    continue;
                }
                if let Some(why) = leftover_name(&sources, &files, task_text) {
                    on_event(&candidate_event(
                        round,
                        n,
                        temperature,
                        false,
                        format!("refused: {why}"),
                    ));
                    tried.push(Tried {
                        files,
                        answer: completion.text,
                        output: format!("The rename is not complete: {why}."),
                        failed: 1,
                        passed: PASSED_OTHERWISE,
                        judged: false,
                    });
                    continue;
                }
                if let Some(site) = &crash_site
                    && !touches_near(
                        sources.get(&site.path).map_or("", |f| f.text.as_str()),
                        files.get(&site.path).map(String::as_str),
                        site.line,
                        3,
                    )
                {
                    on_event(&candidate_event(
                        round,
                        n,
                        temperature,
                        false,
                        format!(
                            "refused: it leaves {}:{}, where the program crashes, as it is",
                            site.path, site.line
                        ),
                    ));
                    tried.push(Tried {
                        files,
                        answer: completion.text,
                        output: format!(
                            "The change does not touch {}:{}, the line that crashes.",
                            site.path, site.line
                        ),
                        failed: 2,
                        passed: PASSED_OTHERWISE,
                        judged: false,
                    });
                    continue;
                }
                if !seen.insert(files.clone()) {
                    on_event(&candidate_event(
                        round,
                        n,
                        temperature,
                        false,
                        "the same edit as an earlier candidate".to_owned(),
                    ));
                    continue;
                }
                let (passed, output) = match run_check(
                    self.tools,
                    self.config.check_timeout,
                    &mut scratch,
                    &check_command,
                    &files,
                ) {
                    Ok(r) => r,
                    Err(e) => (false, format!("the check could not run: {e}")),
                };
                tracing::debug!(candidate = n, passed, output = %output, "candidate check");
                let sum = summarize(&output);
                let mut summary = first_line(&verdict_line(passed, &sum, &output));
                if passed && !judges.is_empty() {
                    // The project's tests pass: how many tests of the task pass too.
                    let mut ok = 0;
                    let mut failing: Option<(String, String)> = None;
                    for judge in &judges {
                        if started.elapsed() >= self.config.budget || cancel.load(Ordering::Relaxed)
                        {
                            break;
                        }
                        let mut with_judge = files.clone();
                        with_judge.insert(judge_path.clone(), judge.clone());
                        match run_check(
                            self.tools,
                            self.config.check_timeout,
                            &mut scratch,
                            &check_command,
                            &with_judge,
                        ) {
                            Ok((true, _)) => ok += 1,
                            Ok((false, out)) => {
                                failing.get_or_insert((judge.clone(), out));
                            }
                            Err(e) => {
                                failing.get_or_insert((judge.clone(), e.to_string()));
                            }
                        }
                    }
                    summary = format!("{summary}; {ok} of {} tests of the task pass", judges.len());
                    let all = ok == judges.len();
                    on_event(&candidate_event(
                        round,
                        n,
                        temperature,
                        all,
                        summary.clone(),
                    ));
                    if all {
                        drop(answers);
                        drop(scratch);
                        return self.apply_winner(
                            &files,
                            &base_texts,
                            &command,
                            n,
                            summary,
                            on_event,
                        );
                    }
                    if ok > 0 && best_judged.as_ref().is_none_or(|b| ok > b.passed) {
                        best_judged = Some(BestJudged {
                            passed: ok,
                            files: files.clone(),
                            index: n,
                            summary: summary.clone(),
                        });
                    }
                    if let Some((judge, out)) = failing {
                        tried.push(Tried {
                            files,
                            answer: completion.text,
                            output: format!(
                                "{judge_path}\n```{}\n{judge}```\n```\n{}\n```",
                                fence_of(&judge_path),
                                condense(&out, 1500)
                            ),
                            failed: (judges.len() - ok) as u32,
                            passed: PASSED_OTHERWISE,
                            judged: true,
                        });
                    }
                    continue;
                }
                if passed && wants_own_test {
                    // Its test files alone, on the code as it was: they must fail.
                    let tests_only: BTreeMap<String, String> = files
                        .iter()
                        .filter(|(p, _)| {
                            sources.get(p).map_or_else(
                                || vibrant_tools::locate::is_test_path(p),
                                |f| f.is_test,
                            )
                        })
                        .map(|(p, t)| (p.clone(), t.clone()))
                        .collect();
                    if !tests_only.is_empty()
                        && let Ok((true, _)) = run_check(
                            self.tools,
                            self.config.check_timeout,
                            &mut scratch,
                            &check_command,
                            &tests_only,
                        )
                    {
                        on_event(&candidate_event(
                            round,
                            n,
                            temperature,
                            false,
                            "refused: its new test passes without the change too".to_owned(),
                        ));
                        tried.push(Tried {
                            files,
                            answer: completion.text,
                            output: "The tests pass, but the new test also passes on the code as it was: it does not test what the task asks for. Write a test that fails without the change."
                                .to_owned(),
                            failed: 1,
                            passed: PASSED_OTHERWISE,
                            judged: false,
                        });
                        continue;
                    }
                }
                on_event(&candidate_event(
                    round,
                    n,
                    temperature,
                    passed,
                    summary.clone(),
                ));
                if passed && writes_tests && !mutants.is_empty() {
                    // Tests that pass must also fail on broken code.
                    let mut killed = 0;
                    let mut survivor = None;
                    for (path, text) in &mutants {
                        if started.elapsed() >= self.config.budget || cancel.load(Ordering::Relaxed)
                        {
                            break;
                        }
                        let mut with_mutant = files.clone();
                        with_mutant.insert(path.clone(), text.clone());
                        let r = run_check(
                            self.tools,
                            self.config.check_timeout,
                            &mut scratch,
                            &check_command,
                            &with_mutant,
                        );
                        tracing::debug!(mutant = %line_diff(sources.get(path).map_or("", |f| f.text.as_str()), text), result = ?r, "mutant check");
                        if let Ok((false, _)) = r {
                            killed += 1;
                        } else if survivor.is_none() {
                            survivor = sources.get(path).map(|f| line_diff(&f.text, text));
                        }
                    }
                    let summary = format!(
                        "{summary}; its tests catch {killed} of {} mutants",
                        mutants.len()
                    );
                    on_event(&AgentEvent::Notice {
                        message: format!("candidate {n}: {summary}"),
                    });
                    if killed == mutants.len() {
                        drop(answers);
                        drop(scratch);
                        return self.apply_winner(
                            &files,
                            &base_texts,
                            &command,
                            n,
                            summary,
                            on_event,
                        );
                    }
                    if best_tests.as_ref().is_none_or(|b| killed > b.killed) {
                        best_tests = Some(BestTests {
                            killed,
                            files: files.clone(),
                            index: n,
                            summary,
                            answer: completion.text.clone(),
                            survivor,
                        });
                    }
                    continue;
                }
                if passed {
                    drop(answers);
                    drop(scratch);
                    return self.apply_winner(&files, &base_texts, &command, n, summary, on_event);
                }
                let failed = sum.failed.unwrap_or(0)
                    + sum
                        .diagnostics
                        .iter()
                        .filter(|d| d.severity == "error")
                        .count() as u32
                    + 1;
                tried.push(Tried {
                    files,
                    answer: completion.text,
                    output,
                    failed,
                    passed: sum.passed.unwrap_or(0),
                    judged: false,
                });
            }
        }
        if let Some(b) = best_judged {
            on_event(&AgentEvent::Notice {
                message: format!(
                    "keeping candidate {}: the project's tests and {} of {} tests of the task pass",
                    b.index,
                    b.passed,
                    judges.len()
                ),
            });
            drop(scratch);
            return self.apply_winner(
                &b.files,
                &base_texts,
                &command,
                b.index,
                b.summary,
                on_event,
            );
        }
        if let Some(b) = best_tests {
            // Passing tests that catch some mutants, or none: still the best tests found.
            on_event(&AgentEvent::Notice {
                message: format!(
                    "keeping candidate {}, whose tests pass and catch the most mutants ({} of {})",
                    b.index,
                    b.killed,
                    mutants.len()
                ),
            });
            drop(scratch);
            return self.apply_winner(
                &b.files,
                &base_texts,
                &command,
                b.index,
                b.summary,
                on_event,
            );
        }
        self.not_solved(n, &tried, &baseline)
    }

    /// Tests of the task written by the model ([`crate::task_tests`]): the ones that fail on
    /// the code as it is, at most three, different from each other.
    #[allow(clippy::too_many_arguments)]
    fn write_judges(
        &mut self,
        scratch: &mut Scratch,
        check_command: &str,
        prompt: String,
        (path, example, sources): (&str, Option<&SourceFile>, &Sources),
        crash: Option<&str>,
        deadline: Instant,
        cancel: &AtomicBool,
        tally: &mut SolveTally,
        on_event: &mut dyn FnMut(&AgentEvent),
    ) -> Vec<String> {
        on_event(&AgentEvent::Notice {
            message: format!(
                "the project's tests pass already: writing tests of the task ({path}, on the copy only) to judge the candidates"
            ),
        });
        let k = self.config.candidates.max(1);
        let variants: Vec<Sampling> = (0..k)
            .map(|i| Sampling {
                temperature: if i == 0 { 0.0 } else { self.config.temperature },
                seed: Some(self.seed.unwrap_or(0).wrapping_add(1000 + i as u64)),
            })
            .collect();
        let messages = vec![Message::system(SYSTEM_TESTS), Message::user(prompt)];
        tally.steps += 1;
        let request = self.candidate_request(&messages, 768);
        let completions = match self.backend.complete_many(&request, &variants, cancel) {
            Ok(c) => c,
            Err(e) => {
                on_event(&AgentEvent::Notice {
                    message: format!("the model failed on the tests of the task: {e}"),
                });
                return Vec::new();
            }
        };
        let mut judges: Vec<String> = Vec::new();
        let (mut passing, mut broken, mut unreadable, mut other) = (0, 0, 0, 0);

        for (j, c) in completions.into_iter().enumerate() {
            if j == 0 {
                tally.prompt_tokens += c.usage.prompt_tokens.unwrap_or(0);
                tally.reused_tokens += c.usage.reused_tokens.unwrap_or(0);
            }
            tally.completion_tokens += c.usage.completion_tokens.unwrap_or(0);
            if judges.len() >= 3 || Instant::now() >= deadline || cancel.load(Ordering::Relaxed) {
                break;
            }
            let Some(text) = task_tests::test_file_of(&c.text, path) else {
                unreadable += 1;
                continue;
            };
            let text = task_tests::borrow_imports(&text, example, path);
            if judges.contains(&text) {
                continue;
            }
            let files = BTreeMap::from([(path.to_owned(), text.clone())]);
            match self.check(scratch, check_command, &files) {
                Ok((true, _)) => passing += 1,
                Ok((false, out)) if task_tests::broken_test_file(&out, path, sources) => {
                    broken += 1
                }
                Ok((false, out)) if crash.is_some_and(|c| !out.contains(c)) => {
                    // A crash to fix: a test that fails some other way does not reproduce it.
                    tracing::debug!(judge = %text, output = %out, "a test of the task does not reproduce the crash");
                    other += 1;
                }
                Ok((false, out)) => {
                    tracing::debug!(judge = %text, output = %out, "a test of the task fails on the code as it is");
                    judges.push(text);
                }
                Err(_) => broken += 1,
            }
        }
        on_event(&AgentEvent::Notice {
            message: format!(
                "{} test file(s) of the task fail on the code as it is and will judge the candidates ({passing} passed already, {broken} did not run, {other} failed otherwise than the task's crash, {unreadable} had no code)",
                judges.len()
            ),
        });
        judges
    }

    fn not_solved(&self, n: usize, tried: &[Tried], baseline: &(bool, String)) -> SolveOutcome {
        let mut notes = String::new();
        if !baseline.0 {
            let _ = write!(
                notes,
                "Before any change, the tests fail:\n{}\n",
                condense(&baseline.1, 1500)
            );
        }
        if let Some(best) = tried
            .iter()
            .min_by_key(|t| (std::cmp::Reverse(t.passed), t.failed))
        {
            let files: Vec<&str> = best.files.keys().map(String::as_str).collect();
            let _ = write!(
                notes,
                "{n} candidate edits of {} were tried on a copy and none passed the tests.",
                files.join(", ")
            );
        }
        SolveOutcome::NotSolved {
            candidates: n,
            notes,
        }
    }

    fn apply_winner(
        &mut self,
        files: &BTreeMap<String, String>,
        based_on: &BTreeMap<String, Option<String>>,
        command: &str,
        n: usize,
        summary: String,
        on_event: &mut dyn FnMut(&AgentEvent),
    ) -> SolveOutcome {
        let id = format!("candidate_{n}");
        let arguments = serde_json::json!({"files": files.keys().collect::<Vec<_>>()});
        on_event(&AgentEvent::ToolCall {
            id: id.clone(),
            name: "apply_candidate".to_owned(),
            arguments,
        });
        let r = self.tools.apply_files("apply_candidate", files, based_on);
        on_event(&AgentEvent::ToolResult {
            id,
            name: "apply_candidate".to_owned(),
            ok: r.ok,
            summary: first_line(&r.output),
            output: r.output.clone(),
            diff: r.diff.clone(),
            changed_files: r.changed_files.clone(),
        });
        if !r.ok {
            return SolveOutcome::NotSolved {
                candidates: n,
                notes: format!(
                    "A candidate edit passed the tests on a copy but could not be applied: {}",
                    first_line(&r.output)
                ),
            };
        }
        let verification = VerifyResult {
            tool: if self.verify_build {
                "run_build".to_owned()
            } else {
                "run_tests".to_owned()
            },
            passed: true,
            summary: format!("{summary} — `{command}` on a copy with this change"),
        };
        on_event(&AgentEvent::Verify {
            result: verification.clone(),
        });
        SolveOutcome::Solved {
            verification,
            candidates: n,
        }
    }

    /// Sets the scratch copy to `files` and runs the check: (passed, output).
    fn check(
        &mut self,
        scratch: &mut Scratch,
        command: &str,
        files: &BTreeMap<String, String>,
    ) -> Result<(bool, String), vibrant_tools::ToolError> {
        run_check(
            self.tools,
            self.config.check_timeout,
            scratch,
            command,
            files,
        )
    }

    /// The request for a batch of candidate answers.
    fn candidate_request<'m>(
        &self,
        messages: &'m [Message],
        max_tokens: usize,
    ) -> CompletionRequest<'m> {
        CompletionRequest {
            messages,
            max_tokens,
            temperature: 0.0,
            top_k: self.top_k,
            top_p: self.top_p,
            min_p: self.min_p,
            repeat_penalty: 1.0,
            seed: None,
            stop: Vec::new(),
            tools: &[],
            tool_choice: ToolChoice::None,
            constrain_tools: false,
            // Every format asks for code: an answer that ends after its opening sentence is
            // lost.
            require_code_block: true,
        }
    }
}

/// Runs the check `command` on the scratch copy holding `files` (over the workspace's own):
/// whether it passed, and its output with the copy's paths made the workspace's.
fn run_check(
    tools: &mut Toolbox,
    timeout: Duration,
    scratch: &mut Scratch,
    command: &str,
    files: &BTreeMap<String, String>,
) -> Result<(bool, String), vibrant_tools::ToolError> {
    scratch.set_files(files)?;
    let out = tools.run_check_in(scratch, command, timeout)?;
    let text = format!("{}\n{}", out.stdout, out.stderr);
    // Paths in the output name the copy; the model knows the workspace's names.
    let text = text.replace(&format!("{}/", scratch.root().display()), "");
    Ok((out.success(), text))
}

/// What marks a line of shown code that the failure points at (stripped from answers).
const FAILURE_MARK: &str = "<-- the failure is here";

/// Where the crash pasted in a task happens: the innermost frame in the project's own non-test
/// code (a Python traceback lists it last, a panic or a JavaScript stack first).
fn crash_site(
    sources: &Sources,
    root: &std::path::Path,
    task_text: &str,
) -> Option<vibrant_tools::locate::Frame> {
    let frames: Vec<_> = sources
        .frames(root, task_text)
        .into_iter()
        .filter(|f| {
            sources
                .get(&f.path)
                .is_some_and(|s| !s.is_test_line(f.line))
        })
        .collect();
    if task_text.contains("most recent call last") {
        frames.into_iter().last()
    } else {
        frames.into_iter().next()
    }
}

/// Whether `new` (the candidate's text of a file; `None`: unchanged) changes `old` within
/// `radius` lines of `line` (1-based): the span between the common first and last lines.
fn touches_near(old: &str, new: Option<&str>, line: u32, radius: u32) -> bool {
    let Some(new) = new else {
        return false;
    };
    // Code only: a comment added to the crashing line changes nothing.
    let code = |l: &str| -> String {
        let l = l.split(" #").next().unwrap_or(l);
        let l = l.split("//").next().unwrap_or(l);
        l.chars().filter(|c| !c.is_whitespace()).collect()
    };
    let a: Vec<String> = old.lines().map(code).collect();
    let b: Vec<String> = new.lines().map(code).collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if prefix == a.len() && prefix == b.len() {
        return false;
    }
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    // Changed lines of `old`, 1-based: prefix+1 ..= len-suffix (empty for an insertion).
    let first = prefix as u32 + 1;
    let last = (a.len() - suffix) as u32;
    let last = last.max(first.saturating_sub(1));
    first.saturating_sub(radius) <= line && line <= last + radius
}

/// What a test that reproduces the crash pasted in a task prints: the start of the error the
/// traceback or panic ends with, up to the first detail that depends on the input (`ValueError:
/// too many values to unpack`, `panic: runtime error: index out of range`). `None` when the task
/// shows no crash.
fn crash_key(task_text: &str) -> Option<String> {
    let msg = failure_message(task_text)?;
    if msg.starts_with("error") {
        return None; // a compiler error, not a crash
    }
    let cut = msg
        .find(|c: char| c.is_ascii_digit() || "[('\"`{".contains(c))
        .unwrap_or(msg.len());
    let key = msg[..cut].trim_end_matches([' ', ':', ',']).to_owned();
    (key.len() >= 8).then_some(key)
}

/// The error a traceback, panic or compiler message reports last (`ValueError: too many values
/// to unpack`, `panic: runtime error: index out of range [2] with length 2`).
fn failure_message(text: &str) -> Option<String> {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"(?m)^\s*(?:E\s+)?((?:[A-Z][A-Za-z]*(?:Error|Exception)|panic)\b:?.*|attempt to .*|error(?:\[E\d+\])?: .*)$",
        )
        .unwrap_or_else(|e| panic!("built-in regex: {e}"))
    });
    let m = RE.captures_iter(text).filter_map(|c| c.get(1)).last()?;
    let msg: String = m.as_str().trim().chars().take(120).collect();
    Some(msg)
}

/// Marks, in the shown non-test code, the lines the failure (a check's output or a traceback
/// pasted in the task) points at, with the error as a trailing comment: a small model finds the
/// line to change far more often when it is shown. At most six marks.
fn mark_failure_lines(
    shown: &mut [(Shown, bool)],
    sources: &Sources,
    root: &std::path::Path,
    evidence: &str,
) {
    let diagnostics = summarize(evidence).diagnostics;
    let general = failure_message(evidence);
    let mut marks = 0;
    for fr in sources.frames(root, evidence) {
        if marks >= 6 {
            break;
        }
        let Some(f) = sources.get(&fr.path) else {
            continue;
        };
        if f.is_test_line(fr.line) {
            continue;
        }
        let msg = diagnostics
            .iter()
            .find(|d| {
                d.line == fr.line && (fr.path.ends_with(&d.file) || d.file.ends_with(&fr.path))
            })
            .map(|d| d.message.clone())
            .or_else(|| general.clone());
        let comment = if matches!(f.lang.fence(), "python" | "sh" | "ruby" | "yaml" | "toml") {
            "#"
        } else {
            "//"
        };
        for (s, _) in shown.iter_mut() {
            if s.path != fr.path || fr.line < s.start_line {
                continue;
            }
            let idx = (fr.line - s.start_line) as usize;
            let mut lines: Vec<String> = s.text.lines().map(str::to_owned).collect();
            let Some(l) = lines.get_mut(idx) else {
                continue;
            };
            if l.contains(FAILURE_MARK) || l.trim().is_empty() {
                continue;
            }
            match &msg {
                Some(m) => {
                    let _ = write!(l, "  {comment} {FAILURE_MARK}: {m}");
                }
                None => {
                    let _ = write!(l, "  {comment} {FAILURE_MARK}");
                }
            }
            let trailing = s.text.ends_with('\n');
            s.text = lines.join("\n");
            if trailing {
                s.text.push('\n');
            }
            marks += 1;
        }
    }
}

/// An answer without the failure marks it copied from the shown code.
pub(crate) fn strip_failure_marks(answer: &str) -> String {
    if !answer.contains(FAILURE_MARK) {
        return answer.to_owned();
    }
    let mut out = String::with_capacity(answer.len());
    for line in answer.split_inclusive('\n') {
        match line.find(FAILURE_MARK) {
            Some(i) => {
                let head = &line[..i];
                let head = head
                    .trim_end()
                    .strip_suffix("//")
                    .or_else(|| head.trim_end().strip_suffix('#'))
                    .unwrap_or(head);
                out.push_str(head.trim_end());
                if line.ends_with('\n') {
                    out.push('\n');
                }
            }
            None => out.push_str(line),
        }
    }
    out
}

const SYSTEM_TESTS: &str = "You are an expert programmer who writes small, exact unit tests in the project's own test framework.";

/// A block without the types it repeats from other files (the read-only context the prompt
/// showed): applied, they would be declared a second time (`Line redeclared in this block`) or
/// shadow the import. A type this file defines itself stays.
fn drop_echoed_types(sources: &Sources, path: &str, code: &str) -> String {
    let Some(block) = SourceFile::new(path, code.to_owned()) else {
        return code.to_owned();
    };
    let here = sources.get(path);
    let defined_here = |name: &str| {
        here.is_some_and(|f| {
            f.syntax
                .symbols
                .iter()
                .any(|s| s.name == name && s.parent.is_none())
        })
    };
    let elsewhere = |name: &str| {
        sources.files.iter().any(|f| {
            f.path != path
                && !f.is_test
                && f.lang == block.lang
                && f.syntax.symbols.iter().any(|s| {
                    s.name == name && s.parent.is_none() && vibrant_tools::locate::is_type(s.kind)
                })
        })
    };
    let drop: Vec<(u32, u32)> = block
        .syntax
        .symbols
        .iter()
        .filter(|s| s.parent.is_none() && vibrant_tools::locate::is_type(s.kind))
        .filter(|s| !defined_here(&s.name) && elsewhere(&s.name))
        .map(|s| (block.doc_start(s.start_line), s.end_line))
        .collect();
    if drop.is_empty() {
        return code.to_owned();
    }
    let mut out = String::with_capacity(code.len());
    for (i, line) in code.split_inclusive('\n').enumerate() {
        let n = i as u32 + 1;
        if !drop.iter().any(|&(a, b)| a <= n && n <= b) {
            out.push_str(line);
        }
    }
    out
}

/// The fence language of a path (`python`, `rust`, …), empty when unknown.
/// The lines of test code that a check's output points at (`test_roman.py:28`), each with the
/// lines around it, numbered and the pointed line marked: pytest shows a failing statement but
/// not the call on the next line, and node or cargo only a location. Empty when the output
/// points at no test file. At most three places.
fn failing_test_code(sources: &Sources, root: &std::path::Path, output: &str) -> String {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"([\w./:-]*[\w-]+\.[A-Za-z]{1,4}):(\d+)")
            .unwrap_or_else(|e| panic!("built-in regex: {e}"))
    });
    let mut places: Vec<(String, usize)> = Vec::new();
    for c in RE.captures_iter(output) {
        let (Some(file), Some(line)) = (c.get(1), c.get(2)) else {
            continue;
        };
        let Ok(line) = line.as_str().parse::<usize>() else {
            continue;
        };
        let Some(path) = sources.resolve(root, file.as_str()) else {
            continue;
        };
        if !sources.get(&path).is_some_and(|f| f.is_test) || line == 0 {
            continue;
        }
        if places
            .iter()
            .any(|(p, l)| *p == path && l.abs_diff(line) <= 2)
        {
            continue;
        }
        places.push((path, line));
        if places.len() == 3 {
            break;
        }
    }
    let mut out = String::new();
    for (path, line) in places {
        let Some(f) = sources.get(&path) else {
            continue;
        };
        let lines: Vec<&str> = f.text.lines().collect();
        if line > lines.len() {
            continue;
        }
        let from = line.saturating_sub(3).max(1);
        let to = (line + 3).min(lines.len());
        let _ = write!(out, "\nThe test at {path}:{line}:\n```{}\n", f.lang.fence());
        for (k, l) in lines[from - 1..to].iter().enumerate() {
            let no = from + k;
            let mark = if no == line { "  <-- fails here" } else { "" };
            let _ = writeln!(out, "{no:>4} | {l}{mark}");
        }
        out.push_str("```");
    }
    out
}

fn fence_of(path: &str) -> &'static str {
    SourceFile::new(path, String::new()).map_or("", |f| f.lang.fence())
}

/// Shown pieces of code, each with its path (and first line when not the whole file).
fn render_code<'a>(shown: impl IntoIterator<Item = &'a Shown>) -> String {
    let mut p = String::new();
    for s in shown {
        if s.whole {
            let _ = write!(p, "{}\n```{}\n{}```\n\n", s.path, s.lang_fence, s.text);
        } else {
            let _ = write!(
                p,
                "{} (from line {})\n```{}\n{}```\n\n",
                s.path, s.start_line, s.lang_fence, s.text
            );
        }
    }
    p
}

const SYSTEM: &str = "You are an expert programmer. You change code exactly as the task needs and nothing else. \
Answer with one sentence on what must change, then for each function you change or add: its file path on one line, then the complete new function in a fenced code block.";

/// The event of candidate `index` of (0-based) `round`.
fn candidate_event(
    round: usize,
    index: usize,
    temperature: f32,
    passed: bool,
    summary: String,
) -> AgentEvent {
    AgentEvent::Candidate {
        round: round + 1,
        index,
        temperature,
        passed,
        summary,
    }
}

/// The check command, made independent of the user's build output where it matters (a cargo
/// copy builds into its own target directory, inside the copy).
fn isolate_command(kind: ProjectKind, command: &str) -> String {
    match kind {
        ProjectKind::Cargo => format!("CARGO_TARGET_DIR=target {command}"),
        _ => command.to_owned(),
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_owned()
}

fn verdict_line(passed: bool, sum: &vibrant_tools::RunSummary, output: &str) -> String {
    if passed {
        return match (sum.passed, sum.failed) {
            (Some(p), _) => format!("tests PASSED ({p} passed)"),
            _ => "tests PASSED".to_owned(),
        };
    }
    match (sum.passed, sum.failed) {
        (Some(p), Some(f)) => format!("tests FAILED ({f} failed, {p} passed)"),
        _ => match sum.diagnostics.first() {
            Some(d) => format!("FAILED: {}:{}: {}", d.file, d.line, d.message),
            // `go test` prints no counts, only the tests that failed.
            None if !sum.failed_tests.is_empty() => {
                let n = sum.failed_tests.len();
                let names: Vec<&str> = sum
                    .failed_tests
                    .iter()
                    .take(3)
                    .map(String::as_str)
                    .collect();
                let more = if n > 3 { ", …" } else { "" };
                format!("tests FAILED ({n} failed: {}{more})", names.join(", "))
            }
            None => format!(
                "FAILED: {}",
                output
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("")
                    .trim()
            ),
        },
    }
}

/// The check's output, shortened for a prompt: the head (where pytest, cargo and go print the
/// failures) and the tail (the summary).
fn condense(output: &str, max_chars: usize) -> String {
    let trimmed: String = output
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter(|l| !l.starts_with("   Compiling ") && !l.contains("Blocking waiting"))
        // node:test's TAP: the runner's own stack frames and bookkeeping say nothing.
        .filter(|l| {
            let t = l.trim_start();
            !(t.contains("(node:")
                || t.starts_with("node:")
                || t.starts_with("async Test.")
                || t.starts_with("duration_ms:")
                || t.starts_with("# duration_ms")
                || t.starts_with("failureType:")
                || t.starts_with("code: 'ERR_")
                || t.starts_with("stack: |-")
                || t == "..."
                || t == "---")
        })
        .collect::<Vec<_>>()
        .join("\n");
    cap_head_tail(&trimmed, max_chars)
}

/// Picks what the model sees: (code, read_only). Editable code first: the top suspects (whole
/// files when small), then the failing tests read-only when tests may not change.
fn choose_shown(
    sources: &Sources,
    root: &std::path::Path,
    ranked: &[Suspect],
    failure: &str,
    tests_allowed: bool,
    task_text: &str,
    protected: &[String],
) -> Vec<(Shown, bool)> {
    let mut out: Vec<(Shown, bool)> = Vec::new();
    let editable: Vec<&Suspect> = ranked
        .iter()
        .filter(|s| tests_allowed || !s.is_test)
        .collect();
    let top = editable.first().map_or(0.0, |s| s.score);
    let mut lines = 0usize;
    let mut whole_done: HashSet<String> = HashSet::new();
    let mut picked: Vec<&Suspect> = Vec::new();
    for s in &editable {
        if picked.len() >= MAX_SHOWN || s.score < top / 4.0 {
            break;
        }
        let len = (s.end_line - s.start_line + 1) as usize;
        if lines + len > MAX_SHOWN_LINES && !picked.is_empty() {
            continue;
        }
        lines += len;
        picked.push(s);
    }
    // Files a compile error or traceback names outside any definition (a missing include or
    // import): shown whole when small.
    let mut extra_files: Vec<String> = Vec::new();
    for fr in sources.frames(root, failure) {
        if let Some(f) = sources.get(&fr.path)
            && !f.is_test_line(fr.line)
            && f.enclosing(fr.line).is_none()
        {
            extra_files.push(f.path.clone());
        }
    }
    let mut order: Vec<String> = Vec::new();
    for s in &picked {
        if !order.contains(&s.path) {
            order.push(s.path.clone());
        }
    }
    for p in extra_files {
        if !order.contains(&p) {
            order.push(p);
        }
    }
    // Files the task names (`add tests to test_bits.c`): shown whole when not large.
    let named: Vec<String> = sources
        .files
        .iter()
        .filter(|f| names_file(task_text, &f.path) && f.text.lines().count() <= NAMED_FILE_LINES)
        .filter(|f| tests_allowed || !f.is_test)
        .map(|f| f.path.clone())
        .collect();
    for p in &named {
        if !order.contains(p) {
            order.push(p.clone());
        }
    }
    for path in order {
        let Some(f) = sources.get(&path) else {
            continue;
        };
        let read_only = protected.contains(&path);
        let mine: Vec<&&Suspect> = picked.iter().filter(|s| s.path == path).collect();
        let n_lines = f.text.lines().count();
        let whole = n_lines <= WHOLE_FILE_LINES || (named.contains(&path) && mine.is_empty());
        if whole && whole_done.insert(path.clone()) {
            out.push((
                Shown {
                    path: path.clone(),
                    whole: true,
                    targets: mine.iter().map(|s| s.start_line).collect(),
                    text: f.text.clone(),
                    lang_fence: f.lang.fence(),
                    start_line: 1,
                },
                read_only,
            ));
            continue;
        }
        for s in mine {
            let start = f.doc_start(s.start_line);
            out.push((
                Shown {
                    path: path.clone(),
                    whole: false,
                    targets: vec![s.start_line],
                    text: f.lines(start, s.end_line),
                    lang_fence: f.lang.fence(),
                    start_line: start,
                },
                read_only,
            ));
        }
    }
    // A method shown inside its class, shown too: the class for reference, the method to
    // change (an answer that rewrites a whole class is long, and slow on a small machine).
    let span = |s: &Shown| (s.start_line, s.start_line + s.text.lines().count() as u32);
    let containers: Vec<usize> = (0..out.len())
        .filter(|&j| {
            let (c, d) = span(&out[j].0);
            !out[j].1
                && !out[j].0.whole
                && out.iter().enumerate().any(|(i, (o, ro))| {
                    let (a, b) = span(o);
                    i != j && !ro && o.path == out[j].0.path && c <= a && b <= d && (c, d) != (a, b)
                })
        })
        .collect();
    for j in containers {
        out[j].1 = true;
        out[j].0.targets.clear();
    }
    // Read-only context: the types the shown code uses, defined elsewhere (a struct whose
    // field was renamed, a class whose method is called) — at most three, 40 lines each.
    let shown_words: HashSet<String> = out
        .iter()
        .flat_map(|(s, _)| vibrant_tools::locate::words(&s.text))
        .map(str::to_owned)
        .collect();
    let mut type_shown = 0;
    for f in &sources.files {
        if f.is_test || out.iter().any(|(o, _)| o.whole && o.path == f.path) {
            continue;
        }
        for s in &f.syntax.symbols {
            if type_shown >= 3
                || !vibrant_tools::locate::is_type(s.kind)
                || !shown_words.contains(&s.name)
            {
                continue;
            }
            if out.iter().any(|(o, _)| {
                o.path == f.path
                    && o.start_line <= s.start_line
                    && s.start_line < o.start_line + o.text.lines().count() as u32
            }) {
                continue;
            }
            let end = s.end_line.min(s.start_line + 39);
            let start = f.doc_start(s.start_line);
            out.push((
                Shown {
                    path: f.path.clone(),
                    whole: false,
                    targets: Vec::new(),
                    text: f.lines(start, end),
                    lang_fence: f.lang.fence(),
                    start_line: start,
                },
                true,
            ));
            type_shown += 1;
        }
    }
    // Read-only context: the failing tests (when they may not change).
    if !tests_allowed {
        let mut test_lines = 0usize;
        for s in ranked.iter().filter(|s| s.is_test).take(MAX_TESTS_SHOWN) {
            let Some(f) = sources.get(&s.path) else {
                continue;
            };
            if out.iter().any(|(o, _)| o.whole && o.path == s.path) {
                continue;
            }
            let start = f.doc_start(s.start_line);
            let len = (s.end_line + 1).saturating_sub(start) as usize;
            if test_lines > 0 && test_lines + len > MAX_TEST_LINES {
                continue;
            }
            test_lines += len;
            out.push((
                Shown {
                    path: s.path.clone(),
                    whole: false,
                    targets: Vec::new(),
                    text: f.lines(start, s.end_line),
                    lang_fence: f.lang.fence(),
                    start_line: start,
                },
                true,
            ));
        }
        // Test files the task names, or the failure points into, with no test found in them
        // (node:test's `test('…', () => …)` is a call, not a definition): whole, when small.
        let mut test_files: Vec<String> = sources
            .files
            .iter()
            .filter(|f| f.is_test && names_file(task_text, &f.path))
            .map(|f| f.path.clone())
            .collect();
        for fr in sources.frames(root, failure) {
            if sources.get(&fr.path).is_some_and(|f| f.is_test) && !test_files.contains(&fr.path) {
                test_files.push(fr.path);
            }
        }
        for path in test_files.into_iter().take(2) {
            let Some(f) = sources.get(&path) else {
                continue;
            };
            if f.text.lines().count() > NAMED_FILE_LINES || out.iter().any(|(o, _)| o.path == path)
            {
                continue;
            }
            out.push((
                Shown {
                    path,
                    whole: true,
                    targets: Vec::new(),
                    text: f.text.clone(),
                    lang_fence: f.lang.fence(),
                    start_line: 1,
                },
                true,
            ));
        }
    }
    out
}

/// Whether the task text names the file (its path, or its name when that has an extension).
fn names_file(task_text: &str, path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let contains_word = |needle: &str| {
        task_text.match_indices(needle).any(|(i, _)| {
            let before = task_text[..i].chars().next_back();
            let after = task_text[i + needle.len()..].chars().next();
            before.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '/' || c == '.'))
                && after.is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
        })
    };
    contains_word(path) || (name.contains('.') && contains_word(name))
}

fn describe_shown(shown: &[&Shown]) -> String {
    let mut files: Vec<&str> = shown.iter().map(|s| s.path.as_str()).collect();
    files.dedup();
    files.join(", ")
}

fn build_prompt(
    task_text: &str,
    command: &str,
    baseline: &(bool, String),
    shown: &[(Shown, bool)],
    tests_allowed: bool,
    new_paths: &[String],
    stubs: &[(String, String)],
) -> String {
    let mut p = format!("Task: {}\n\n", task_text.trim());
    if !baseline.0 {
        // Unfinished code fails every test the same way: the tests themselves (shown below)
        // say more than their tracebacks.
        let max = if stubs.is_empty() { 2500 } else { 600 };
        let _ = write!(
            p,
            "The check `{command}` fails now:\n```\n{}\n```\n\n",
            condense(&baseline.1, max)
        );
    }
    let ro: Vec<&Shown> = shown.iter().filter(|(_, r)| *r).map(|(s, _)| s).collect();
    let (tests, defs): (Vec<&Shown>, Vec<&Shown>) = ro
        .into_iter()
        .partition(|s| vibrant_tools::locate::is_test_path(&s.path) || s.text.contains("#[test]"));
    if !defs.is_empty() {
        p.push_str("Definitions the code uses (for reference):\n\n");
        for s in defs {
            let _ = write!(p, "{}\n```{}\n{}```\n\n", s.path, s.lang_fence, s.text);
        }
    }
    if !tests.is_empty() {
        p.push_str("The tests (they are right; do not change them):\n\n");
        for s in tests {
            let _ = write!(p, "{}\n```{}\n{}```\n\n", s.path, s.lang_fence, s.text);
        }
    }
    p.push_str("The code:\n\n");
    p.push_str(&render_code(
        shown.iter().filter(|(_, r)| !r).map(|(s, _)| s),
    ));
    if stubs.is_empty() {
        p.push_str(
            "First say in one sentence what is wrong or what must change. \
Then write the complete new version of each function you change or add",
        );
    } else {
        let mut placeholders: Vec<&str> = stubs.iter().map(|(_, l)| l.as_str()).collect();
        placeholders.dedup();
        let _ = write!(
            p,
            "Implement each unfinished function (the ones that still say `{}`) with real code that handles every case its documentation and the tests describe: no placeholder, no TODO. \
Write the complete implementation of each function you implement or add",
            placeholders.join("`, `")
        );
    }
    p.push_str(
        ", each in its own fenced code block with its file path on the line before it. \
Change only what the task needs; keep the other functions as they are and do not repeat unchanged ones. \
If you need a new import, put it at the top of the block. Write nothing after the last code block.",
    );
    if !new_paths.is_empty() {
        let _ = write!(
            p,
            " Write each new file ({}) whole, in one block with its path on the line before it.",
            new_paths.join(", ")
        );
    }
    if !tests_allowed {
        p.push_str(" Do not change the tests.");
    }
    p
}

/// Tokens an answer may take: the shown code about twice over, within limits.
fn answer_tokens(backend: &dyn Backend, editable: &[&Shown]) -> usize {
    let code: usize = editable.iter().map(|s| backend.count_tokens(&s.text)).sum();
    (code * 2 + 256).clamp(512, 3072)
}

/// Applies an answer's code blocks to the shown files: path → new text. Blocks without a path
/// go to the shown file that defines a name the block defines, or to the only shown file.
fn candidate_files(
    sources: &Sources,
    editable: &[&Shown],
    answer: &str,
    new_paths: &[String],
) -> Result<BTreeMap<String, String>, String> {
    let answer = strip_failure_marks(answer);
    let blocks = parse_blocks(&answer);
    if blocks.is_empty() {
        return Err("the answer has no code block".to_owned());
    }
    let mut current: BTreeMap<String, String> = BTreeMap::new();
    let mut unplaced: Option<String> = None;
    // A new file the task asks for (`write tests in a new file tests/isbn.rs`).
    for b in &blocks {
        if let Some(p) = b.path.as_ref().and_then(|p| {
            new_paths
                .iter()
                .find(|n| *n == p || n.ends_with(&format!("/{p}")))
        }) {
            current.entry(p.clone()).or_default().push_str(&b.code);
        } else if b.path.is_none() && editable.is_empty() && new_paths.len() == 1 {
            current
                .entry(new_paths[0].clone())
                .or_default()
                .push_str(&b.code);
        }
    }
    let paths: Vec<&str> = {
        let mut v: Vec<&str> = editable.iter().map(|s| s.path.as_str()).collect();
        v.dedup();
        v
    };
    for b in &blocks {
        if b.path.as_ref().is_some_and(|p| {
            new_paths
                .iter()
                .any(|n| n == p || n.ends_with(&format!("/{p}")))
        }) {
            continue;
        }
        let Some(path) = block_path(sources, &paths, b, &current) else {
            continue;
        };
        let path = reroute_header(sources, &paths, &path, &b.code).unwrap_or(path);
        let text = match current.get(&path) {
            Some(t) => t.clone(),
            None => match sources.get(&path) {
                Some(f) => f.text.clone(),
                None => continue,
            },
        };
        let Some(file) = SourceFile::new(&path, text.clone()) else {
            continue;
        };
        // Targets: the shown definitions of this file, found again by name in the current text.
        let orig = sources.get(&path);
        let targets: Vec<u32> = editable
            .iter()
            .filter(|s| s.path == path)
            .flat_map(|s| s.targets.iter().copied())
            .filter_map(|t| {
                let o = orig?.syntax.symbols.iter().find(|x| x.start_line == t)?;
                file.syntax
                    .symbols
                    .iter()
                    .find(|x| x.name == o.name && x.parent == o.parent)
                    .map(|x| x.start_line)
            })
            .collect();
        let code = drop_echoed_types(sources, &path, &b.code);
        if code.trim().is_empty() {
            continue;
        }
        match apply_block(&file, &code, &targets) {
            Ok(new) => {
                current.insert(path, new);
            }
            // A block that cannot be placed (often a stray one: the path alone, or an example
            // call) does not sink the blocks that can; the check judges what was applied.
            Err(e) => {
                unplaced.get_or_insert_with(|| e.to_string());
            }
        }
    }
    if current.is_empty()
        && let Some(e) = unplaced
    {
        return Err(e);
    }
    // Imports the new code needs or no longer uses (Go's compiler refuses both).
    for (p, t) in current.iter_mut() {
        if p.ends_with(".go") {
            *t = vibrant_tools::imports::tidy_go_imports(t);
        } else if p.ends_with(".py") {
            *t = vibrant_tools::imports::add_python_std_imports(t);
        }
    }
    current.retain(|p, t| sources.get(p).is_none_or(|f| f.text != *t));
    if current.is_empty() {
        return Err("the code blocks change nothing".to_owned());
    }
    Ok(current)
}

fn block_path(
    sources: &Sources,
    paths: &[&str],
    b: &CodeBlock,
    _current: &BTreeMap<String, String>,
) -> Option<String> {
    if let Some(p) = &b.path {
        if paths.contains(&p.as_str()) {
            return Some(p.clone());
        }
        // A shortened or longer form of a shown path.
        if let Some(x) = paths
            .iter()
            .find(|s| s.ends_with(&format!("/{p}")) || p.ends_with(&format!("/{s}")))
        {
            return Some((*x).to_owned());
        }
        // Another file (a test shown read-only, or one not shown): not this candidate's.
        if sources.get(p).is_some()
            || sources
                .files
                .iter()
                .any(|f| f.path.ends_with(&format!("/{p}")))
        {
            return None;
        }
    }
    if paths.len() == 1 {
        return Some(paths[0].to_owned());
    }
    // The shown file defining a name the block defines.
    let lang_path = paths.first()?;
    let probe = SourceFile::new(lang_path, b.code.clone())?;
    for s in &probe.syntax.symbols {
        for p in paths {
            if sources
                .get(p)
                .is_some_and(|f| f.syntax.symbols.iter().any(|x| x.name == s.name))
            {
                return Some((*p).to_owned());
            }
        }
    }
    // A new definition: a method of a type a shown file defines (`func (s *Store) Keys(…)`).
    let words: HashSet<&str> = probe
        .syntax
        .symbols
        .iter()
        .flat_map(|s| {
            vibrant_tools::locate::words(&s.signature)
                .into_iter()
                .chain(s.parent.as_deref())
        })
        .collect();
    for p in paths {
        if sources.get(p).is_some_and(|f| {
            !f.is_test
                && f.syntax.symbols.iter().any(|x| {
                    vibrant_tools::locate::is_type(x.kind) && words.contains(x.name.as_str())
                })
        }) {
            return Some((*p).to_owned());
        }
    }
    // Else test code goes to the one shown test file, other code to the one other file.
    let test_code = b.code.contains("#[test]")
        || probe
            .syntax
            .symbols
            .iter()
            .any(|s| s.name.starts_with("test") || s.name.starts_with("Test"))
        || b.code
            .lines()
            .any(|l| l.starts_with("test(") || l.starts_with("describe("));
    let same_kind: Vec<&&str> = paths
        .iter()
        .filter(|p| {
            sources
                .get(p)
                .is_some_and(|f| f.is_test == test_code && f.lang == probe.lang)
        })
        .collect();
    match same_kind.as_slice() {
        [only] => Some((**only).to_owned()),
        _ => None,
    }
}

/// Where `old` stands in `text` as an identifier or as a part of one: `test_old`, `old_v2`,
/// `OldBuilder`, `NewOld` (a CamelCase part), but not inside a longer word (`bold` for `old`,
/// `Items` for `Item`).
fn rename_hits(text: &str, old: &str) -> Vec<usize> {
    let camel = old.chars().next().is_some_and(|c| c.is_ascii_uppercase());
    let mut out = Vec::new();
    let mut last = 0;
    for (i, _) in text.match_indices(old) {
        let before = text[..i].chars().next_back();
        let after = text[i + old.len()..].chars().next();
        let left_ok = before.is_none_or(|c| {
            !c.is_alphanumeric()
                || c == '_'
                || (camel && (c.is_ascii_lowercase() || c.is_ascii_digit()))
        });
        let right_ok =
            after.is_none_or(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit()) || c == '_');
        if left_ok && right_ok && i >= last {
            out.push(i);
            last = i + old.len();
        }
    }
    out
}

/// Every source file with each `old` replaced by its `new` where [`rename_hits`] finds it
/// (longer names first, so `NewItem → NewTask` is not cut by `Item → Task`).
fn mechanical_rename(sources: &Sources, pairs: &[(String, String)]) -> BTreeMap<String, String> {
    let mut pairs: Vec<&(String, String)> = pairs.iter().collect();
    pairs.sort_by_key(|(old, _)| std::cmp::Reverse(old.len()));
    let mut out = BTreeMap::new();
    for f in &sources.files {
        let mut text = f.text.clone();
        for (old, new) in &pairs {
            let hits = rename_hits(&text, old);
            if hits.is_empty() {
                continue;
            }
            let mut result = String::with_capacity(text.len());
            let mut last = 0;
            for i in hits {
                result.push_str(&text[last..i]);
                result.push_str(new);
                last = i + old.len();
            }
            result.push_str(&text[last..]);
            text = result;
        }
        if text != f.text {
            out.insert(f.path.clone(), text);
        }
    }
    out
}

/// For a rename task: where the old name is still written after the candidate (in the files it
/// changed, or in the other source files).
fn leftover_name(
    sources: &Sources,
    files: &BTreeMap<String, String>,
    task_text: &str,
) -> Option<String> {
    for (old, _) in task::rename_pairs(task_text) {
        let texts = sources.files.iter().map(|f| {
            (
                f.path.as_str(),
                files.get(&f.path).map_or(f.text.as_str(), String::as_str),
            )
        });
        for (path, text) in texts {
            if let Some((i, line)) = text
                .lines()
                .enumerate()
                .find(|(_, l)| !rename_hits(l, &old).is_empty())
            {
                return Some(format!(
                    "`{old}` still appears in {path} line {}: {}",
                    i + 1,
                    line.trim()
                ));
            }
        }
    }
    None
}

/// A C/C++ function body written for a header whose declaration it is goes to the shown source
/// file that defines the function (a body in the header would be defined twice).
fn reroute_header(sources: &Sources, paths: &[&str], path: &str, code: &str) -> Option<String> {
    let is_header = [".h", ".hh", ".hpp", ".hxx"]
        .iter()
        .any(|x| path.ends_with(x));
    if !is_header || !code.contains('{') {
        return None;
    }
    let block = SourceFile::new(path, code.to_owned())?;
    let names: Vec<&str> = block
        .syntax
        .symbols
        .iter()
        .filter(|s| s.end_line > s.start_line)
        .map(|s| s.name.as_str())
        .collect();
    paths
        .iter()
        .filter(|p| **p != path)
        .find(|p| {
            sources.get(p).is_some_and(|f| {
                f.syntax
                    .symbols
                    .iter()
                    .any(|s| names.contains(&s.name.as_str()) && s.end_line > s.start_line)
            })
        })
        .map(|p| (*p).to_owned())
}

/// Whether the candidate adds or changes test code (a test file, or inline Rust tests).
fn adds_test_code(sources: &Sources, files: &BTreeMap<String, String>) -> bool {
    files.iter().any(|(path, text)| match sources.get(path) {
        None => vibrant_tools::locate::is_test_path(path) || text.contains("#[test]"),
        Some(orig) if orig.is_test => added_code_lines(&orig.text, text) >= 2,
        Some(orig) => SourceFile::new(path, text.clone())
            .is_some_and(|new| new.test_text().len() > orig.test_text().len()),
    })
}

/// Lines of code in `new` that `old` lacks: not blank, not an import, not a lone bracket or
/// string (an import block reformatted adds no test).
fn added_code_lines(old: &str, new: &str) -> usize {
    let before: HashSet<&str> = old.lines().map(str::trim).collect();
    new.lines()
        .map(str::trim)
        .filter(|l| !before.contains(l))
        .filter(|l| {
            let import = [
                "import ", "import(", "from ", "#include", "use ", "require(",
            ]
            .iter()
            .any(|k| l.starts_with(k));
            let punct = l.chars().all(|c| "()[]{};,".contains(c));
            let lone_string = l.starts_with('"') && l.trim_end_matches(',').ends_with('"');
            !(l.is_empty() || import || punct || lone_string)
        })
        .count()
}

/// Single-change mutants of the code under test (the best non-test suspect, preferring the
/// files the task protects): a comparison, arithmetic or boolean operator flipped, or a small
/// number changed, one at a time in the body — (path, mutated file text), at most `max`.
fn mutants_of(
    sources: &Sources,
    ranked: &[Suspect],
    protected: &[String],
    max: usize,
) -> Vec<(String, String)> {
    let target = ranked
        .iter()
        .filter(|s| !s.is_test)
        .find(|s| protected.contains(&s.path))
        .or_else(|| ranked.iter().find(|s| !s.is_test));
    let Some(t) = target else {
        return Vec::new();
    };
    let Some(f) = sources.get(&t.path) else {
        return Vec::new();
    };
    const OPS: &[(&str, &str)] = &[
        (" <= ", " < "),
        (" >= ", " > "),
        (" < ", " <= "),
        (" > ", " >= "),
        (" == ", " != "),
        (" != ", " == "),
        (" + ", " - "),
        (" - ", " + "),
        (" && ", " || "),
        (" || ", " && "),
        (" and ", " or "),
        (" or ", " and "),
        (" * ", " / "),
        ("+= 1", "+= 2"),
        ("True", "False"),
        ("true", "false"),
        ("return 0", "return 1"),
        ("1)", "2)"),
        ("[0]", "[1]"),
    ];
    let lines: Vec<&str> = f.text.lines().collect();
    // The body: after the signature line, within the definition.
    let body_start = t.start_line as usize; // 0-based index of the line after the header
    let body_end = (t.end_line as usize).min(lines.len());
    // Not inside a Python docstring at the top of the body.
    let mut body_start = body_start;
    if let Some(first) = lines.get(body_start).map(|l| l.trim_start()) {
        for quote in ["\"\"\"", "'''"] {
            if let Some(rest) = first.strip_prefix(quote) {
                let close = if rest.contains(quote) {
                    Some(body_start)
                } else {
                    (body_start + 1..body_end).find(|&i| lines[i].contains(quote))
                };
                if let Some(c) = close {
                    body_start = c + 1;
                }
            }
        }
    }
    let mut out = Vec::new();
    for (from, to) in OPS {
        if out.len() >= max {
            break;
        }
        let hit = (body_start..body_end).find(|&i| {
            let l = lines[i].trim_start();
            !l.starts_with("//")
                && !l.starts_with('#')
                && !l.starts_with("/*")
                && !l.starts_with('*')
                && lines[i].contains(from)
        });
        if let Some(i) = hit {
            let mut m: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
            m[i] = m[i].replacen(from, to, 1);
            let mut text = m.join("\n");
            if f.text.ends_with('\n') {
                text.push('\n');
            }
            out.push((f.path.clone(), text));
        }
    }
    out
}

/// A reason to refuse a candidate that changes tests the task does not let it change.
/// Whether a line of code is an unfinished function's placeholder (`raise NotImplementedError`,
/// `todo!()`, `throw new Error('not implemented')`, `/* TODO: implement */`).
fn is_stub_line(line: &str) -> bool {
    let l = line.trim().to_ascii_lowercase();
    l.contains("notimplementederror")
        || l.contains("todo!(")
        || l.contains("unimplemented!(")
        || l.contains("not implemented")
        || (l.contains("todo") && l.contains("implement"))
}

/// The placeholders in the shown code: (path, trimmed line), one per line of the file (pieces
/// shown twice, a method and its class, count once).
fn stub_lines<'a>(shown: impl IntoIterator<Item = &'a Shown>) -> Vec<(String, String)> {
    let mut seen: BTreeMap<(String, u32), String> = BTreeMap::new();
    for s in shown {
        for (i, line) in strip_failure_marks(&s.text).lines().enumerate() {
            if is_stub_line(line) {
                seen.insert(
                    (s.path.clone(), s.start_line + i as u32),
                    line.trim().to_owned(),
                );
            }
        }
    }
    seen.into_iter().map(|((p, _), l)| (p, l)).collect()
}

/// Why a candidate leaves one of the shown placeholders in place, if it does: each must be
/// gone from its file (other placeholders of the file, not shown, may stay).
fn kept_stub(
    sources: &Sources,
    files: &BTreeMap<String, String>,
    stubs: &[(String, String)],
) -> Option<String> {
    let count = |text: &str, line: &str| text.lines().filter(|l| l.trim() == line).count();
    for (path, line) in stubs {
        let old = sources.get(path).map_or("", |f| f.text.as_str());
        let new = files.get(path).map_or(old, String::as_str);
        let shown = stubs.iter().filter(|(p, l)| p == path && l == line).count();
        if count(new, line) + shown > count(old, line) {
            return Some(format!("{path} still has the placeholder `{line}`"));
        }
    }
    None
}

fn forbidden_test_change(
    sources: &Sources,
    files: &BTreeMap<String, String>,
    tests_allowed: bool,
) -> Option<String> {
    if tests_allowed {
        return None;
    }
    for (path, text) in files {
        let Some(orig) = sources.get(path) else {
            continue;
        };
        if orig.is_test {
            return Some(format!("it changes the test file {path}"));
        }
        let Some(new) = SourceFile::new(path, text.clone()) else {
            continue;
        };
        if orig.test_text() != new.test_text() {
            return Some(format!("it changes the tests in {path}"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(files: &[(&str, &str)]) -> Sources {
        Sources::from_texts(files)
    }

    const FRONT_MATTER: &str = "def parse(text):\n    meta = {}\n    for line in text.splitlines():\n        key, value = line.split(\":\")\n        meta[key] = value\n    return meta\n";

    #[test]
    fn a_reformatted_import_block_adds_no_test() {
        let old = "package kv\n\nimport \"testing\"\n\nfunc TestSetGet(t *testing.T) {}\n";
        let src = sources(&[("kv/kv_test.go", old)]);
        let files = |t: &str| BTreeMap::from([("kv/kv_test.go".to_owned(), t.to_owned())]);
        let imports = old.replace("import \"testing\"", "import (\n\t\"testing\"\n)");
        assert!(!adds_test_code(&src, &files(&imports)));
        let more = format!(
            "{old}\nfunc TestKeys(t *testing.T) {{\n\tif got := Keys(\"\"); got != nil {{\n\t\tt.Fatal(got)\n\t}}\n}}\n"
        );
        assert!(adds_test_code(&src, &files(&more)));
    }

    #[test]
    fn a_new_method_goes_to_the_file_that_defines_its_type() {
        let kv = "package kv\n\ntype Store struct {\n\tdata map[string]string\n}\n\nfunc (s *Store) Len() int {\n\treturn len(s.data)\n}\n";
        let test = "package kv\n\nimport \"testing\"\n\nfunc TestLen(t *testing.T) {}\n";
        let src = sources(&[("kv/kv.go", kv), ("kv/kv_test.go", test)]);
        let paths = ["kv/kv.go", "kv/kv_test.go"];
        let block = |code: &str| CodeBlock {
            path: None,
            code: code.to_owned(),
        };
        let method = block("func (s *Store) Keys(prefix string) []string {\n\treturn nil\n}\n");
        assert_eq!(
            block_path(&src, &paths, &method, &BTreeMap::new()).as_deref(),
            Some("kv/kv.go")
        );
        let new_test = block("func TestKeys(t *testing.T) {\n}\n");
        assert_eq!(
            block_path(&src, &paths, &new_test, &BTreeMap::new()).as_deref(),
            Some("kv/kv_test.go")
        );
    }

    #[test]
    fn a_candidate_that_keeps_a_shown_placeholder_is_no_implementation() {
        let lru = "class LRUCache:\n    def get(self, key):\n        raise NotImplementedError\n\n    def put(self, key, value):\n        raise NotImplementedError\n\n    def clear(self):\n        raise NotImplementedError  # not part of the task\n";
        let src = sources(&[("lru.py", lru)]);
        let shown = Shown {
            path: "lru.py".to_owned(),
            whole: false,
            targets: vec![2],
            text: "    def get(self, key):\n        raise NotImplementedError  # <-- the failure is here: NotImplementedError\n\n    def put(self, key, value):\n        raise NotImplementedError\n".to_owned(),
            lang_fence: "python",
            start_line: 2,
        };
        let class = Shown {
            path: "lru.py".to_owned(),
            whole: true,
            targets: vec![1],
            text: lru.to_owned(),
            lang_fence: "python",
            start_line: 1,
        };
        let stubs = stub_lines([&shown, &class]);
        assert_eq!(stubs.len(), 3, "the class holds the methods: {stubs:?}");
        let stubs = stub_lines([&shown]);
        assert_eq!(stubs.len(), 2, "{stubs:?}");
        assert_eq!(
            stubs[0].1, "raise NotImplementedError",
            "the mark is not part of it"
        );
        let both = lru.replacen("raise NotImplementedError", "return self.d.get(key)", 2);
        let files = |t: &str| BTreeMap::from([("lru.py".to_owned(), t.to_owned())]);
        assert_eq!(
            kept_stub(&src, &files(&both), &stubs),
            None,
            "the unshown one may stay"
        );
        let one = lru.replacen("raise NotImplementedError", "return self.d.get(key)", 1);
        assert!(
            kept_stub(&src, &files(&one), &stubs).is_some(),
            "put is still a stub"
        );
        assert!(
            kept_stub(&src, &BTreeMap::new(), &stubs).is_some(),
            "nothing changed"
        );
        for l in [
            "todo!(\"parse {text:?}\")",
            "throw new Error('not implemented');",
            "/* TODO: not implemented yet */",
            "// TODO: implement",
            "unimplemented!()",
        ] {
            assert!(is_stub_line(l), "{l}");
        }
        for l in ["return 0;", "// TODO: faster", "raise ValueError(\"bad\")"] {
            assert!(!is_stub_line(l), "{l}");
        }
    }

    #[test]
    fn a_crash_key_stops_before_the_details_that_depend_on_the_input() {
        let py = "Traceback (most recent call last):\n  File \"/x/blog/fm.py\", line 4, in parse\n    key, value = line.split(\":\")\nValueError: too many values to unpack (expected 2)\n";
        assert_eq!(
            crash_key(py).as_deref(),
            Some("ValueError: too many values to unpack")
        );
        let go = "panic: runtime error: index out of range [2] with length 2\n\ngoroutine 1 [running]:\n";
        assert_eq!(
            crash_key(go).as_deref(),
            Some("panic: runtime error: index out of range")
        );
        assert_eq!(crash_key("add a parameter to f"), None);
        assert_eq!(
            crash_key("error[E0382]: borrow of moved value: `x`"),
            None,
            "a compile error is no crash"
        );
    }

    #[test]
    fn the_crash_site_is_the_innermost_project_frame() {
        let src = sources(&[
            ("blog/fm.py", FRONT_MATTER),
            (
                "blog/build.py",
                "import fm\n\ndef main():\n    fm.parse(open('x').read())\n",
            ),
        ]);
        let root = std::path::Path::new("/home/dana/src/blog");
        let py = "Traceback (most recent call last):\n  File \"/home/dana/src/blog/blog/build.py\", line 4, in main\n    fm.parse(x)\n  File \"/home/dana/src/blog/blog/fm.py\", line 4, in parse\n    key, value = line.split(\":\")\nValueError: too many values to unpack (expected 2)\n";
        let site = crash_site(&src, root, py).expect("a site");
        assert_eq!((site.path.as_str(), site.line), ("blog/fm.py", 4));
    }

    #[test]
    fn a_change_touches_the_crash_line_only_in_code_near_it() {
        let fixed = FRONT_MATTER.replace("line.split(\":\")", "line.split(\":\", 1)");
        assert!(touches_near(FRONT_MATTER, Some(&fixed), 4, 3));
        let commented = FRONT_MATTER.replace("line.split(\":\")", "line.split(\":\")  # split it");
        assert!(
            !touches_near(FRONT_MATTER, Some(&commented), 4, 3),
            "a comment is no fix"
        );
        let guard = FRONT_MATTER.replace(
            "        key,",
            "        if line.count(\":\") > 1:\n            continue\n        key,",
        );
        assert!(
            touches_near(FRONT_MATTER, Some(&guard), 4, 3),
            "an inserted guard counts"
        );
        let long = format!("{FRONT_MATTER}\n\ndef a():\n    return 1\n\ndef b():\n    return 2\n");
        let far = long.replace("return 2", "return 3");
        assert!(!touches_near(&long, Some(&far), 4, 3));
        assert!(!touches_near(FRONT_MATTER, None, 4, 3), "an untouched file");
        assert!(!touches_near(FRONT_MATTER, Some(FRONT_MATTER), 4, 3));
    }

    #[test]
    fn the_repair_shows_the_test_lines_the_failure_points_at() {
        let test = "import pytest\nfrom roman import from_roman\n\ndef test_invalid():\n    with pytest.raises(ValueError):\n        from_roman(\"XIZ\")\n    with pytest.raises(ValueError):\n        from_roman(\"\")\n";
        let src = sources(&[
            ("roman.py", "def from_roman(t):\n    return 0\n"),
            ("test_roman.py", test),
        ]);
        let out = ">       with pytest.raises(ValueError):\nE       Failed: DID NOT RAISE ValueError\n\ntest_roman.py:7: Failed\n";
        let shown = failing_test_code(&src, std::path::Path::new("/w"), out);
        assert!(shown.contains("test_roman.py:7"), "{shown}");
        assert!(
            shown.contains("   7 |     with pytest.raises(ValueError):  <-- fails here"),
            "{shown}"
        );
        assert!(
            shown.contains("   8 |         from_roman(\"\")"),
            "the call after it: {shown}"
        );
        // Output that points only at code under test shows nothing.
        assert_eq!(
            failing_test_code(&src, std::path::Path::new("/w"), "roman.py:2: KeyError"),
            ""
        );
    }

    #[test]
    fn candidate_blocks_go_to_the_right_files() {
        let src = sources(&[
            ("a.py", "def f():\n    return 1\n"),
            ("b.py", "def g():\n    return 2\n"),
        ]);
        let shown_a = Shown {
            path: "a.py".into(),
            whole: true,
            targets: vec![1],
            text: String::new(),
            lang_fence: "python",
            start_line: 1,
        };
        let shown_b = Shown {
            path: "b.py".into(),
            whole: true,
            targets: vec![1],
            text: String::new(),
            lang_fence: "python",
            start_line: 1,
        };
        let answer = "b.py\n```python\ndef g():\n    return 3\n```\n```python\ndef f():\n    return 4\n```\n";
        let files = candidate_files(&src, &[&shown_a, &shown_b], answer, &[]).unwrap();
        assert_eq!(files["a.py"], "def f():\n    return 4\n");
        assert_eq!(files["b.py"], "def g():\n    return 3\n");
        assert!(candidate_files(&src, &[&shown_a], "no code", &[]).is_err());
        // A stray block (the path alone) does not sink the block that can be placed.
        let stray =
            "```python\ndef f():\n    return 5\n```\nThe file path is:\n```python\na.py\n```\n";
        let files = candidate_files(&src, &[&shown_a], stray, &[]).unwrap();
        assert_eq!(files["a.py"], "def f():\n    return 5\n");
        // Only blocks that cannot be placed: the reason is given.
        let why = candidate_files(&src, &[&shown_a], "```python\na.py\n```\n", &[]).unwrap_err();
        assert!(why.contains("definition"), "{why}");
        assert!(
            candidate_files(
                &src,
                &[&shown_a],
                "```python\ndef f():\n    return 1\n```",
                &[]
            )
            .is_err()
        );
    }

    #[test]
    fn a_body_written_for_a_header_goes_to_the_source_file() {
        let src = sources(&[
            ("rb.h", "int rb_push(int x);\nint rb_pop(void);\n"),
            (
                "rb.c",
                "#include \"rb.h\"\n\nint rb_push(int x)\n{\n    return 0;\n}\n",
            ),
        ]);
        let shown_h = Shown {
            path: "rb.h".into(),
            whole: true,
            targets: vec![],
            text: String::new(),
            lang_fence: "c",
            start_line: 1,
        };
        let shown_c = Shown {
            path: "rb.c".into(),
            whole: true,
            targets: vec![3],
            text: String::new(),
            lang_fence: "c",
            start_line: 1,
        };
        let answer = "rb.h\n```c\nint rb_push(int x)\n{\n    return x + 1;\n}\n```\n";
        let files = candidate_files(&src, &[&shown_h, &shown_c], answer, &[]).unwrap();
        assert!(!files.contains_key("rb.h"), "{files:?}");
        assert!(files["rb.c"].contains("return x + 1;"));
    }

    #[test]
    fn the_failing_line_is_marked_and_the_mark_never_applied() {
        let src = sources(&[(
            "blog/frontmatter.py",
            "def parse(text):\n    for line in text.splitlines():\n        key, value = line.split(\":\")\n    return key\n",
        )]);
        let f = src.get("blog/frontmatter.py").unwrap();
        let mut shown = vec![(
            Shown {
                path: f.path.clone(),
                whole: true,
                targets: vec![1],
                text: f.text.clone(),
                lang_fence: "python",
                start_line: 1,
            },
            false,
        )];
        let trace = "Traceback (most recent call last):\n  File \"/home/d/blog/blog/frontmatter.py\", line 3, in parse\n    key, value = line.split(\":\")\nValueError: too many values to unpack (expected 2)\n";
        mark_failure_lines(
            &mut shown,
            &src,
            std::path::Path::new("/nonexistent"),
            trace,
        );
        let marked = shown[0].0.text.lines().nth(2).unwrap().to_owned();
        assert_eq!(
            marked,
            "        key, value = line.split(\":\")  # <-- the failure is here: ValueError: too many values to unpack (expected 2)"
        );
        assert_eq!(shown[0].0.text.lines().count(), 4);
        let answer = format!("```python\ndef parse(text):\n{marked}\n    return key\n```\n");
        assert_eq!(
            strip_failure_marks(&answer),
            "```python\ndef parse(text):\n        key, value = line.split(\":\")\n    return key\n```\n"
        );
    }

    #[test]
    fn a_type_echoed_from_another_file_is_not_declared_again() {
        let src = sources(&[
            (
                "order.go",
                "package orders\n\nfunc (o Order) Subtotal() float64 {\n\ttotal := 0\n\treturn total\n}\n",
            ),
            (
                "line.go",
                "package orders\n\n// Line is one order line.\ntype Line struct {\n\tQty   int\n\tPrice float64\n}\n",
            ),
            (
                "types.go",
                "package orders\n\ntype Order struct{ Lines []Line }\n",
            ),
        ]);
        let answer = "order.go\n```go\n// Line is one order line.\ntype Line struct {\n\tQty   int\n\tPrice float64\n}\n\nfunc (o Order) Subtotal() float64 {\n\ttotal := 0.0\n\treturn total\n}\n```\n";
        let f = src.get("order.go").unwrap();
        let shown = Shown {
            path: f.path.clone(),
            whole: true,
            targets: vec![3],
            text: f.text.clone(),
            lang_fence: "go",
            start_line: 1,
        };
        let files = candidate_files(&src, &[&shown], answer, &[]).unwrap();
        let new = &files["order.go"];
        assert!(!new.contains("type Line"), "{new}");
        assert!(new.contains("total := 0.0"), "{new}");
    }

    #[test]
    fn mechanical_rename_follows_identifier_parts() {
        let src = sources(&[
            (
                "p.py",
                "def compute_total(x):\n    return x\n\n\ndef bold():\n    return compute_totals()\n",
            ),
            (
                "test_p.py",
                "from p import compute_total\n\n\ndef test_compute_total():\n    assert compute_total(1) == 1\n",
            ),
        ]);
        let files = mechanical_rename(&src, &[("compute_total".into(), "sum_prices".into())]);
        assert_eq!(
            files["p.py"],
            "def sum_prices(x):\n    return x\n\n\ndef bold():\n    return compute_totals()\n"
        );
        assert_eq!(
            files["test_p.py"],
            "from p import sum_prices\n\n\ndef test_sum_prices():\n    assert sum_prices(1) == 1\n"
        );
        let src = sources(&[(
            "a.rs",
            "struct Cfg;\nstruct CfgBuilder;\nfn my_cfg() -> Cfg { Cfg }\nfn f() -> Cfgs { NewCfg }\n",
        )]);
        let files = mechanical_rename(&src, &[("Cfg".into(), "Config".into())]);
        assert_eq!(
            files["a.rs"],
            "struct Config;\nstruct ConfigBuilder;\nfn my_cfg() -> Config { Config }\nfn f() -> Cfgs { NewConfig }\n"
        );
    }

    #[test]
    fn test_edits_are_refused_unless_allowed() {
        let src = sources(&[
            ("test_a.py", "def test_f():\n    assert f() == 1\n"),
            (
                "src/lib.rs",
                "pub fn f() -> u32 { 1 }\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() { assert_eq!(super::f(), 1); }\n}\n",
            ),
        ]);
        let mut files = BTreeMap::new();
        files.insert(
            "test_a.py".to_owned(),
            "def test_f():\n    assert True\n".to_owned(),
        );
        assert!(forbidden_test_change(&src, &files, false).is_some());
        assert!(forbidden_test_change(&src, &files, true).is_none());
        let mut files = BTreeMap::new();
        files.insert(
            "src/lib.rs".to_owned(),
            "pub fn f() -> u32 { 2 }\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() { assert_eq!(super::f(), 1); }\n}\n".to_owned(),
        );
        assert!(forbidden_test_change(&src, &files, false).is_none());
        files.insert(
            "src/lib.rs".to_owned(),
            "pub fn f() -> u32 { 2 }\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() { assert_eq!(super::f(), 2); }\n}\n".to_owned(),
        );
        assert!(forbidden_test_change(&src, &files, false).is_some());
    }
}
