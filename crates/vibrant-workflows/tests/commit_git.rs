//! Commit workflow against real git repositories: what is staged, renames and binaries, --all
//! and --amend, the states that must not get a generated message (nothing staged, a merge in
//! progress), the user's hooks running on commit, and a scripted model's answers turned into a
//! Conventional Commits message.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;
use std::sync::atomic::AtomicBool;

use vibrant_core::{Backend, BackendError, Completion, CompletionRequest, FinishReason, Message};
use vibrant_workflows::commit::{self, Options};
use vibrant_workflows::{Repo, Scope, WorkflowError};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn repo() -> (tempfile::TempDir, Repo) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["config", "user.name", "Test"]);
    git(root, &["config", "user.email", "test@example.com"]);
    git(root, &["config", "commit.gpgsign", "false"]);
    std::fs::write(
        root.join("words.py"),
        "def count(text):\n    return len(text.split())\n",
    )
    .unwrap();
    std::fs::write(root.join("old_name.py"), "X = 1\nY = 2\nZ = 3\n").unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "feat: count words"]);
    let repo = Repo::discover(&root.join(".")).unwrap();
    (dir, repo)
}

#[test]
fn staged_changes_with_a_rename_and_a_binary_file() {
    let (dir, repo) = repo();
    let root = dir.path();
    std::fs::write(
        root.join("words.py"),
        "def count(text):\n    return len(text.lower().split())\n",
    )
    .unwrap();
    git(root, &["mv", "old_name.py", "new_name.py"]);
    std::fs::write(root.join("logo.png"), [0u8, 159, 146, 150, 0, 1, 2]).unwrap();
    git(root, &["add", "words.py", "logo.png"]);
    // Changed but not staged: not part of the commit.
    std::fs::write(root.join("notes.txt"), "later\n").unwrap();

    let changes = repo.changes(Scope::default()).unwrap();
    let summaries: Vec<String> = changes.files.iter().map(|f| f.summary()).collect();
    assert!(
        summaries.contains(&"A logo.png (binary)".to_owned()),
        "{summaries:?}"
    );
    assert!(
        summaries.contains(&"R old_name.py -> new_name.py (+0 -0)".to_owned()),
        "{summaries:?}"
    );
    assert!(
        summaries.contains(&"M words.py (+1 -1)".to_owned()),
        "{summaries:?}"
    );
    assert_eq!(changes.files.len(), 3, "{summaries:?}");
    assert!(
        changes
            .diff
            .contains("+    return len(text.lower().split())")
    );
    assert!(!changes.diff.contains("later"));
    assert_eq!(repo.unstaged().unwrap(), (0, 1));
    assert_eq!(
        repo.recent_subjects(5),
        vec!["feat: count words".to_owned()]
    );
}

#[test]
fn all_takes_unstaged_tracked_files_and_amend_describes_the_whole_commit() {
    let (dir, repo) = repo();
    let root = dir.path();
    std::fs::write(root.join("old_name.py"), "X = 10\nY = 2\nZ = 3\n").unwrap();
    assert!(repo.changes(Scope::default()).unwrap().files.is_empty());
    let all = repo
        .changes(Scope {
            all: true,
            amend: false,
        })
        .unwrap();
    assert_eq!(all.files.len(), 1);
    assert_eq!(all.files[0].path, "old_name.py");

    // Amending the first commit: its whole content is the change (against the empty tree).
    let amend = repo
        .changes(Scope {
            all: false,
            amend: true,
        })
        .unwrap();
    let paths: Vec<&str> = amend.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["old_name.py", "words.py"]);
    assert!(amend.files.iter().all(|f| f.status == 'A'));
}

#[test]
fn commit_runs_the_users_hooks_and_reports_a_refusing_hook() {
    let (dir, repo) = repo();
    let root = dir.path();
    std::fs::write(root.join("words.py"), "def count(text):\n    return 0\n").unwrap();
    git(root, &["add", "words.py"]);
    let hooks = root.join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let hook = hooks.join("commit-msg");
    std::fs::write(
        &hook,
        "#!/bin/sh\necho 'Signed-off-by: Hook <h@example.com>' >> \"$1\"\n",
    )
    .unwrap();
    make_executable(&hook);

    let msg = commit::parse_message("fix: return zero\n\nFor the test.").unwrap();
    let done = repo.commit(&msg.text(), Scope::default()).unwrap();
    assert!(!done.id.is_empty());
    assert!(
        done.summary.contains("fix: return zero"),
        "{}",
        done.summary
    );
    let logged = git(root, &["log", "-1", "--format=%B"]);
    assert!(
        logged.starts_with("fix: return zero\n\nFor the test.\n"),
        "{logged}"
    );
    assert!(
        logged.contains("Signed-off-by: Hook"),
        "the user's hook ran: {logged}"
    );

    // A pre-commit hook that refuses: nothing is committed and git's words come back.
    std::fs::write(root.join("words.py"), "def count(text):\n    return 1\n").unwrap();
    git(root, &["add", "words.py"]);
    let pre = hooks.join("pre-commit");
    std::fs::write(
        &pre,
        "#!/bin/sh\necho 'lint failed: words.py' >&2\nexit 1\n",
    )
    .unwrap();
    make_executable(&pre);
    let err = repo.commit("fix: one\n", Scope::default()).unwrap_err();
    assert!(matches!(err, WorkflowError::CommitFailed { .. }), "{err}");
    assert!(err.to_string().contains("lint failed: words.py"), "{err}");
    assert!(err.hint().unwrap().contains("nothing was committed"));
    assert_eq!(repo.recent_subjects(1), vec!["fix: return zero".to_owned()]);
}

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_merge_in_progress_and_a_folder_outside_git_are_recognised() {
    let (dir, repo) = repo();
    let root = dir.path();
    assert_eq!(repo.operation_in_progress(), None);
    git(root, &["checkout", "-q", "-b", "side"]);
    std::fs::write(root.join("words.py"), "side\n").unwrap();
    git(root, &["commit", "-q", "-am", "side"]);
    git(root, &["checkout", "-q", "main"]);
    std::fs::write(root.join("words.py"), "main\n").unwrap();
    git(root, &["commit", "-q", "-am", "main"]);
    let merge = Command::new("git")
        .args(["merge", "-q", "side"])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(!merge.status.success(), "the merge conflicts");
    assert_eq!(repo.operation_in_progress(), Some("a merge"));
    let e = WorkflowError::OperationInProgress { what: "a merge" };
    assert!(e.hint().unwrap().contains("git commit"));

    let outside = tempfile::tempdir().unwrap();
    let err = Repo::discover(outside.path()).unwrap_err();
    assert!(matches!(err, WorkflowError::NotARepository { .. }), "{err}");
}

/// Answers from a script, in order.
struct Scripted {
    answers: Vec<&'static str>,
    prompts: Vec<String>,
}

impl Backend for Scripted {
    fn describe(&self) -> String {
        "scripted".into()
    }
    fn context_window(&self) -> usize {
        4096
    }
    fn count_tokens(&self, text: &str) -> usize {
        text.split_whitespace().count()
    }
    fn count_prompt(&self, messages: &[Message]) -> Result<usize, BackendError> {
        Ok(messages
            .iter()
            .map(|m| self.count_tokens(&m.wire_text()))
            .sum())
    }
    fn complete(
        &mut self,
        request: &CompletionRequest<'_>,
        _cancel: &AtomicBool,
        _on_delta: &mut dyn FnMut(&str),
    ) -> Result<Completion, BackendError> {
        self.prompts
            .push(request.messages.iter().map(|m| m.wire_text()).collect());
        let text = if self.answers.is_empty() {
            String::new()
        } else {
            self.answers.remove(0).to_owned()
        };
        Ok(Completion {
            text,
            tool_calls: vec![],
            invalid_tool_calls: vec![],
            finish: FinishReason::Stop,
            usage: Default::default(),
        })
    }
}

#[test]
fn the_model_is_asked_again_until_its_message_follows_the_rules() {
    let (dir, repo) = repo();
    let root = dir.path();
    std::fs::write(
        root.join("words.py"),
        "def count(text):\n    return len(text.lower().split())\n",
    )
    .unwrap();
    git(root, &["add", "words.py"]);
    let changes = repo.changes(Scope::default()).unwrap();
    let recent = repo.recent_subjects(8);
    let ask = |answers: Vec<&'static str>| {
        let mut backend = Scripted {
            answers,
            prompts: vec![],
        };
        let cancel = AtomicBool::new(false);
        let result = commit::generate(
            &mut backend,
            &changes,
            &recent,
            &Options::default(),
            &cancel,
        );
        (result, backend.prompts)
    };

    let (g, prompts) = ask(vec![
        "I changed the count function to lower-case the text.",
        "```\nfix(words): count words case-insensitively\n```",
    ]);
    let g = g.unwrap();
    assert_eq!(
        g.message.subject,
        "fix(words): count words case-insensitively"
    );
    assert_eq!((g.attempts, g.repaired), (2, false));
    let prompt = &prompts[0];
    assert!(prompt.contains("M words.py (+1 -1)"), "{prompt}");
    assert!(prompt.contains("text.lower()"), "{prompt}");
    assert!(
        prompt.contains("- feat: count words"),
        "the recent style: {prompt}"
    );

    // An answer that repeats the style example is not taken.
    let (g, _) = ask(vec!["feat: count words", "fix: lower-case before counting"]);
    let g = g.unwrap();
    assert_eq!(g.message.subject, "fix: lower-case before counting");
    assert_eq!(g.attempts, 2);

    // No answer follows the rules: the first one that can be repaired is used, marked so.
    let (g, _) = ask(vec!["Lower-case the text before counting", "", ""]);
    let g = g.unwrap();
    assert_eq!(
        g.message.subject,
        "chore: lower-case the text before counting"
    );
    assert!(g.repaired);

    // Nothing usable at all is an error with a hint.
    let (err, _) = ask(vec![]);
    let err = err.unwrap_err();
    assert!(matches!(err, WorkflowError::NoMessage { .. }), "{err}");
    assert!(err.hint().is_some());
}
