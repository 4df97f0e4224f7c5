//! Commit messages from the staged diff: the prompt (the changed files, the diff fitted to a token
//! budget file by file, the repository's recent subjects as its style), the model's answer turned
//! into a [`CommitMessage`] that follows Conventional Commits (subject at most
//! [`MAX_SUBJECT`] characters), and a message without the model for binary-only changes.

use std::sync::atomic::AtomicBool;

use serde::Serialize;
use vibrant_core::{Backend, CompletionRequest, Message};

use crate::error::WorkflowError;
use crate::git::{Changes, FileChange};

/// The longest subject line.
pub const MAX_SUBJECT: usize = 72;
/// Conventional Commits types accepted in a subject.
pub const TYPES: &[&str] = &[
    "feat", "fix", "docs", "style", "refactor", "perf", "test", "build", "ci", "chore", "revert",
];
/// Recent subjects shown to the model as the repository's style.
pub const STYLE_SUBJECTS: usize = 8;

const SYSTEM: &str = "You write git commit messages in the Conventional Commits format.\n\
Rules:\n\
- The first line is `type(scope): summary` or `type: summary`, where type is one of feat, fix, docs, style, refactor, perf, test, build, ci, chore, revert.\n\
- The summary says what the change does, in the imperative mood (\"add\", \"fix\", not \"added\"), lower case, no period, and the whole first line is at most 72 characters.\n\
- If the change needs explaining, add a blank line and a short body (why, not how), lines under 72 characters.\n\
- Reply with the commit message only: no code fences, no quotes, no introduction.";

/// A commit message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommitMessage {
    pub subject: String,
    /// Paragraphs after the blank line, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl CommitMessage {
    /// The message as git takes it.
    pub fn text(&self) -> String {
        match &self.body {
            Some(b) => format!("{}\n\n{b}\n", self.subject),
            None => format!("{}\n", self.subject),
        }
    }

    /// A message for changes the model cannot read (binary files only), from their names.
    pub fn for_binary_files(files: &[FileChange]) -> Self {
        let verb = |f: &FileChange| match f.status {
            'A' => "add",
            'D' => "remove",
            'R' => "rename",
            _ => "update",
        };
        let subject = match files {
            [one] => format!("chore: {} {}", verb(one), one.path),
            _ => {
                let verbs: std::collections::BTreeSet<&str> = files.iter().map(verb).collect();
                let verb = if verbs.len() == 1 {
                    verbs.into_iter().next().unwrap_or("update")
                } else {
                    "update"
                };
                format!("chore: {verb} {} binary files", files.len())
            }
        };
        let body = (files.len() > 1).then(|| {
            files
                .iter()
                .map(|f| format!("- {}", f.summary()))
                .collect::<Vec<_>>()
                .join("\n")
        });
        Self {
            subject: cut_subject(&subject),
            body,
        }
    }
}

/// Why an answer is not (yet) a good commit message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    Empty,
    /// The subject does not start with `type:` or `type(scope):`.
    NoType,
    TooLong(usize),
    /// The subject repeats one of the recent subjects shown as the style.
    Copied,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Empty => write!(f, "it is empty"),
            Problem::NoType => write!(
                f,
                "its first line does not start with a Conventional Commits type (`fix: …`)"
            ),
            Problem::TooLong(n) => write!(
                f,
                "its first line has {n} characters (at most {MAX_SUBJECT})"
            ),
            Problem::Copied => write!(f, "it repeats a recent commit's subject"),
        }
    }
}

/// The model's answer as a commit message: fences, quotes and introductions removed. `Err` when
/// the subject breaks a rule ([`repair`] fixes what can be fixed).
pub fn parse_message(raw: &str) -> Result<CommitMessage, Problem> {
    let msg = clean(raw).ok_or(Problem::Empty)?;
    if !has_type(&msg.subject) {
        return Err(Problem::NoType);
    }
    let n = msg.subject.chars().count();
    if n > MAX_SUBJECT {
        return Err(Problem::TooLong(n));
    }
    Ok(msg)
}

/// [`parse_message`] with the fixable problems fixed: a capitalised or spaced type, a missing
/// type (guessed from the first word), a subject too long (cut at a word, the rest moved to the
/// body). `None` when nothing usable is left.
pub fn repair(raw: &str) -> Option<CommitMessage> {
    let mut msg = clean(raw)?;
    let mut subject = msg.subject.clone();
    if !has_type(&subject) {
        subject = add_type(&subject);
    }
    if subject.chars().count() > MAX_SUBJECT {
        let cut = cut_subject(&subject);
        let rest = subject[cut.len()..].trim().to_owned();
        msg.body = Some(match msg.body.take() {
            Some(b) => format!("{rest}\n\n{b}"),
            None => rest,
        });
        subject = cut;
    }
    msg.subject = subject;
    Some(msg)
}

fn has_type(subject: &str) -> bool {
    let Some((head, rest)) = subject.split_once(": ") else {
        return false;
    };
    if rest.trim().is_empty() {
        return false;
    }
    let head = head.strip_suffix('!').unwrap_or(head);
    let kind = match head.split_once('(') {
        Some((kind, scope)) => {
            if !scope.ends_with(')') || scope.len() < 2 {
                return false;
            }
            kind
        }
        None => head,
    };
    TYPES.contains(&kind)
}

/// A subject without a (valid) type gets one: `Fix: x` → `fix: x`, `Add x` → `feat: add x`.
fn add_type(subject: &str) -> String {
    if let Some((head, rest)) = subject.split_once(':') {
        let lower = head.trim().to_ascii_lowercase();
        let kind = lower.split('(').next().unwrap_or_default();
        if TYPES.contains(&kind.trim_end_matches('!')) {
            return format!("{lower}: {}", rest.trim());
        }
    }
    let first = subject
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let kind = match first.as_str() {
        "fix" | "fixes" | "fixed" | "correct" | "repair" => "fix",
        "add" | "adds" | "added" | "implement" | "support" | "introduce" => "feat",
        "document" | "docs" => "docs",
        "test" | "tests" => "test",
        "refactor" | "rename" | "move" | "extract" | "simplify" => "refactor",
        "speed" | "optimize" | "optimise" => "perf",
        _ => "chore",
    };
    let mut chars = subject.chars();
    let lowered: String = match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    };
    format!("{kind}: {lowered}")
}

/// The longest prefix of `subject` of at most [`MAX_SUBJECT`] characters that ends at a word.
fn cut_subject(subject: &str) -> String {
    if subject.chars().count() <= MAX_SUBJECT {
        return subject.to_owned();
    }
    let limit = subject
        .char_indices()
        .nth(MAX_SUBJECT)
        .map_or(subject.len(), |(i, _)| i);
    let head = &subject[..limit];
    let cut = head
        .rfind(' ')
        .filter(|&i| i > MAX_SUBJECT / 2)
        .unwrap_or(limit);
    head[..cut].trim_end().to_owned()
}

/// Subject and body of an answer without fences, quotes or an introduction line.
fn clean(raw: &str) -> Option<CommitMessage> {
    let mut lines: Vec<&str> = raw
        .lines()
        .filter(|l| !l.trim_start().starts_with("```"))
        .collect();
    // Drop an introduction ("Here is the commit message:", "Commit message:").
    while let Some(first) = lines.iter().position(|l| !l.trim().is_empty()) {
        let l = lines[first].trim();
        let intro = l.ends_with(':') && !has_type(&format!("{l} x"))
            || l.to_ascii_lowercase().starts_with("commit message");
        if intro && lines[first + 1..].iter().any(|l| !l.trim().is_empty()) {
            lines.drain(..=first);
            if let Some(l) = lines.first_mut() {
                *l = l.trim_start();
            }
            continue;
        }
        break;
    }
    let first = lines.iter().position(|l| !l.trim().is_empty())?;
    let subject = lines[first]
        .trim()
        .trim_matches(|c| c == '`' || c == '"' || c == '\'' || c == '*')
        .trim()
        .trim_end_matches('.')
        .to_owned();
    if subject.is_empty() {
        return None;
    }
    let body = lines[first + 1..].join("\n");
    let body = body.trim_matches('\n').trim_end();
    let body = body.trim_start_matches(['\n', '\r']);
    Some(CommitMessage {
        subject,
        body: (!body.trim().is_empty()).then(|| body.to_owned()),
    })
}

/// The prompt for a commit message: the files, the diff within `diff_tokens` (counted with
/// `count`), and the recent subjects.
pub fn prompt(
    changes: &Changes,
    recent: &[String],
    diff_tokens: usize,
    count: &dyn Fn(&str) -> usize,
) -> Vec<Message> {
    let mut user = String::new();
    let style = style_examples(recent);
    if !style.is_empty() {
        user.push_str(
            "Earlier commits in this repository, for their style only (they describe other changes; do not repeat them):\n",
        );
        for s in &style {
            user.push_str(&format!("- {s}\n"));
        }
        user.push('\n');
    }
    user.push_str("Changed files in this commit:\n");
    for f in &changes.files {
        user.push_str(&format!("{}\n", f.summary()));
    }
    let diff = fit_diff(&changes.diff, diff_tokens, count);
    user.push_str(&format!(
        "\nThe diff:\n```diff\n{}\n```\n\nWrite the commit message for this change.",
        diff.trim_end()
    ));
    vec![Message::system(SYSTEM), Message::user(user)]
}

/// The recent subjects worth showing as the style: those that follow the rules themselves, at
/// most [`STYLE_SUBJECTS`].
fn style_examples(recent: &[String]) -> Vec<&str> {
    recent
        .iter()
        .map(String::as_str)
        .filter(|s| has_type(s) && s.chars().count() <= MAX_SUBJECT)
        .take(STYLE_SUBJECTS)
        .collect()
}

/// Whether `subject` repeats one of `recent` (small models copy the style examples).
fn copies(subject: &str, recent: &[String]) -> bool {
    let norm = |s: &str| -> String {
        s.to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric())
            .take(40)
            .collect()
    };
    let mine = norm(subject);
    mine.len() >= 12 && recent.iter().any(|r| norm(r) == mine)
}

/// `diff` cut to about `budget` tokens file by file: files that fit keep their whole diff, the
/// room left is shared equally by the larger ones, each cut at a line with a note of what was
/// left out.
pub fn fit_diff(diff: &str, budget: usize, count: &dyn Fn(&str) -> usize) -> String {
    if count(diff) <= budget {
        return diff.to_owned();
    }
    let mut files: Vec<&str> = Vec::new();
    let mut start = 0;
    for (i, _) in diff.match_indices("diff --git ") {
        if (i == 0 || diff.as_bytes()[i - 1] == b'\n') && i > start {
            files.push(&diff[start..i]);
            start = i;
        }
    }
    files.push(&diff[start..]);
    let sizes: Vec<usize> = files.iter().map(|f| count(f)).collect();
    // Water-filling: the smallest files first, each taking at most an equal share of what is left.
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_key(|&i| sizes[i]);
    let mut share = vec![0usize; files.len()];
    let mut left = budget;
    for (k, &i) in order.iter().enumerate() {
        let equal = left / (files.len() - k);
        share[i] = sizes[i].min(equal);
        left -= share[i];
    }
    let mut out = String::new();
    for (i, f) in files.iter().enumerate() {
        if sizes[i] <= share[i] {
            out.push_str(f);
            continue;
        }
        let lines: Vec<&str> = f.lines().collect();
        let mut used = 0;
        let mut kept = 0;
        for l in &lines {
            let c = count(l) + 1;
            if used + c > share[i] {
                break;
            }
            used += c;
            kept += 1;
        }
        // Always the header line, so the file is named.
        let kept = kept.max(1);
        for l in &lines[..kept] {
            out.push_str(l);
            out.push('\n');
        }
        out.push_str(&format!(
            "[… {} more lines of this file's diff not shown]\n",
            lines.len() - kept
        ));
    }
    out
}

/// How [`generate`] asks.
#[derive(Clone, Debug)]
pub struct Options {
    /// Most tokens of diff in the prompt.
    pub diff_tokens: usize,
    /// Answers tried until one follows the rules (each later one sampled with another seed).
    pub attempts: usize,
    pub temperature: f32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            diff_tokens: 3000,
            attempts: 3,
            temperature: 0.2,
        }
    }
}

/// A generated message and how it came about.
#[derive(Clone, Debug, Serialize)]
pub struct Generated {
    pub message: CommitMessage,
    /// Answers asked for.
    pub attempts: usize,
    /// The message needed [`repair`] (no answer followed every rule).
    pub repaired: bool,
}

/// Asks `backend` for a commit message for `changes` in the style of `recent`.
pub fn generate(
    backend: &mut dyn Backend,
    changes: &Changes,
    recent: &[String],
    opts: &Options,
    cancel: &AtomicBool,
) -> Result<Generated, WorkflowError> {
    let answer_tokens = 200;
    let window = backend.context_window();
    let count = |s: &str| backend.count_tokens(s);
    // Room for the instructions, the file list and the answer.
    let fixed = count(SYSTEM)
        + changes
            .files
            .iter()
            .map(|f| count(&f.summary()) + 1)
            .sum::<usize>()
        + recent
            .iter()
            .take(STYLE_SUBJECTS)
            .map(|s| count(s) + 2)
            .sum::<usize>()
        + 120;
    let budget = opts
        .diff_tokens
        .min(window.saturating_sub(fixed + answer_tokens))
        .max(64);
    let messages = prompt(changes, recent, budget, &count);
    let mut first_repairable = None;
    let attempts = opts.attempts.max(1);
    for attempt in 0..attempts {
        let mut request = CompletionRequest::new(&messages, answer_tokens);
        request.temperature = if attempt == 0 {
            opts.temperature
        } else {
            opts.temperature.max(0.6)
        };
        request.seed = Some(attempt as u64 + 1);
        let completion = backend.complete(&request, cancel, &mut |_| {})?;
        if completion.finish == vibrant_core::FinishReason::Cancelled {
            return Err(WorkflowError::Cancelled);
        }
        let parsed = parse_message(&completion.text).and_then(|m| {
            if copies(&m.subject, recent) {
                Err(Problem::Copied)
            } else {
                Ok(m)
            }
        });
        match parsed {
            Ok(message) => {
                return Ok(Generated {
                    message,
                    attempts: attempt + 1,
                    repaired: false,
                });
            }
            Err(problem) => {
                tracing::info!(%problem, answer = %completion.text, "commit message refused");
                if first_repairable.is_none() && problem != Problem::Copied {
                    first_repairable =
                        repair(&completion.text).filter(|m| !copies(&m.subject, recent));
                }
            }
        }
    }
    match first_repairable {
        Some(message) => Ok(Generated {
            message,
            attempts,
            repaired: true,
        }),
        None => Err(WorkflowError::NoMessage {
            problem: format!("none of {attempts} answers could be used"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clean_answer_is_taken_as_it_is() {
        let m = parse_message("fix(parser): accept a trailing comma\n\nJSON5 allows it.").unwrap();
        assert_eq!(m.subject, "fix(parser): accept a trailing comma");
        assert_eq!(m.body.as_deref(), Some("JSON5 allows it."));
        assert_eq!(
            m.text(),
            "fix(parser): accept a trailing comma\n\nJSON5 allows it.\n"
        );
        assert!(parse_message("feat!: drop the v1 API").is_ok());
    }

    #[test]
    fn fences_quotes_and_introductions_are_removed() {
        for raw in [
            "```\nfix: count capitalised words once\n```",
            "Here is the commit message:\n\nfix: count capitalised words once",
            "Commit message:\n`fix: count capitalised words once`",
            "\"fix: count capitalised words once.\"",
        ] {
            let m = parse_message(raw).unwrap_or_else(|p| panic!("{raw:?}: {p}"));
            assert_eq!(m.subject, "fix: count capitalised words once", "{raw:?}");
            assert_eq!(m.body, None, "{raw:?}");
        }
    }

    #[test]
    fn rule_breaking_subjects_are_refused_and_repaired() {
        assert_eq!(parse_message(""), Err(Problem::Empty));
        assert_eq!(parse_message("Fix the word counter"), Err(Problem::NoType));
        assert_eq!(parse_message("fixed: x"), Err(Problem::NoType));
        assert_eq!(parse_message("fix(): x"), Err(Problem::NoType));
        let long = format!("feat: {}", "word ".repeat(20));
        assert!(matches!(parse_message(&long), Err(Problem::TooLong(_))));

        assert_eq!(
            repair("Fix the word counter").unwrap().subject,
            "fix: fix the word counter"
        );
        assert_eq!(
            repair("Fix: Count words").unwrap().subject,
            "fix: Count words"
        );
        assert_eq!(repair("update deps").unwrap().subject, "chore: update deps");
        let r = repair(&long).unwrap();
        assert!(r.subject.chars().count() <= MAX_SUBJECT, "{}", r.subject);
        assert!(!r.subject.ends_with(' '));
        assert!(r.body.unwrap().starts_with("word"));
        assert_eq!(repair("```\n```"), None);
    }

    #[test]
    fn a_copied_style_example_is_recognised() {
        let recent = vec![
            "fix(sandbox): a failed fork fails the spawn".to_owned(),
            "Merge branch 'x'".to_owned(),
            format!("feat: {}", "long ".repeat(20)),
        ];
        assert!(copies(
            "fix(sandbox): a failed fork fails the spawn",
            &recent
        ));
        assert!(copies(
            "Fix(sandbox): A failed fork fails the spawn.",
            &recent
        ));
        assert!(!copies("fix(words): count words once", &recent));
        assert!(
            !copies("fix: x", &["fix: x".to_owned()]),
            "too short to call a copy"
        );
        // Only rule-following, short subjects are shown as the style.
        assert_eq!(
            style_examples(&recent),
            vec!["fix(sandbox): a failed fork fails the spawn"]
        );
    }

    #[test]
    fn binary_only_changes_get_a_message_from_their_names() {
        let f = |path: &str, status| FileChange {
            path: path.into(),
            from: None,
            status,
            added: None,
            removed: None,
        };
        let one = CommitMessage::for_binary_files(&[f("assets/logo.png", 'A')]);
        assert_eq!(one.subject, "chore: add assets/logo.png");
        assert_eq!(one.body, None);
        let two = CommitMessage::for_binary_files(&[f("a.png", 'M'), f("b.png", 'M')]);
        assert_eq!(two.subject, "chore: update 2 binary files");
        assert_eq!(two.body.unwrap(), "- M a.png (binary)\n- M b.png (binary)");
        let long = CommitMessage::for_binary_files(&[f(&"x/".repeat(60), 'D')]);
        assert!(long.subject.chars().count() <= MAX_SUBJECT);
    }

    #[test]
    fn a_large_diff_is_cut_per_file_and_small_files_stay_whole() {
        let count = |s: &str| s.split_whitespace().count();
        let small = "diff --git a/small.rs b/small.rs\n+one line\n";
        let big: String = std::iter::once("diff --git a/big.rs b/big.rs\n".to_owned())
            .chain((0..500).map(|i| format!("+line number {i}\n")))
            .collect();
        let diff = format!("{small}{big}");
        let fitted = fit_diff(&diff, 200, &count);
        assert!(fitted.starts_with(small), "{fitted}");
        assert!(fitted.contains("diff --git a/big.rs b/big.rs"));
        assert!(fitted.contains("more lines of this file's diff not shown"));
        assert!(count(&fitted) <= 200 + 20, "{}", count(&fitted));
        assert_eq!(fit_diff(small, 200, &count), small);
    }
}
