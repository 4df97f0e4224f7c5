//! End-to-end tests of `vibrant ask` and `vibrant sessions`: with the real Qwen2.5-Coder-0.5B on a
//! small fixture repository (the answer must name a function only the context supplies), JSONL
//! events with piped stdin, and the OpenAI-compatible backend against a scripted local server
//! (streaming, refused connection, a dropped stream, Ctrl-C mid-answer). Each test runs in a
//! fresh HOME with a clean environment, so sessions and the index go to temporary directories.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;

use common::{HEAD, delta, read_request, serve};
use std::process::{Command, Output, Stdio};

struct Fixture {
    _dir: tempfile::TempDir,
    home: PathBuf,
    root: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let root = dir.path().join("repo");
        std::fs::create_dir_all(&home).unwrap();
        for (path, text) in [
            (".git/HEAD", "ref: refs/heads/main\n"),
            ("README.md", "# Packer\n\nPacks files into archives.\n"),
            ("Cargo.toml", "[package]\nname = \"packer\"\n"),
            (
                "src/lib.rs",
                "mod check;\npub use check::adler_mix_7;\n\n/// Packs files into one archive and returns its size.\npub fn pack(files: &[&str]) -> usize {\n    files.iter().map(|f| f.len()).sum()\n}\n",
            ),
            (
                "src/check.rs",
                "/// Computes the checksum of a block of bytes.\npub fn adler_mix_7(data: &[u8]) -> u32 {\n    let mut a: u32 = 1;\n    let mut b: u32 = 0;\n    for &x in data {\n        a = (a + u32::from(x)) % 65521;\n        b = (b + a) % 65521;\n    }\n    (b << 16) | a\n}\n",
            ),
        ] {
            let p = root.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        Self {
            _dir: dir,
            home,
            root,
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_vibrant"));
        c.args(args)
            .current_dir(&self.root)
            .env_clear()
            .env("HOME", &self.home)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default());
        c
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut c = self.command(args);
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).unwrap();
        }
        drop(input);
        child.wait_with_output().unwrap()
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn model() -> String {
    vibrant_testutil::model_path("qwen2.5-coder-0.5b-instruct-awq-mixed")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn ask_answers_from_the_repository_context() {
    let fx = Fixture::new();
    let m = model();
    let q = "which function in this repo computes the checksum?";
    let saved = fx.root.join("answer.md");
    let out = fx.run(
        &[
            "ask",
            "-m",
            &m,
            "-n",
            "40",
            "--temp",
            "0",
            "--save",
            saved.to_str().unwrap(),
            q,
        ],
        None,
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("adler_mix_7"),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    // The sources are listed on stderr, with the statistics line.
    assert!(stderr.contains("src/check.rs"), "{stderr}");
    assert!(stderr.contains("first token"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&saved).unwrap().trim(),
        stdout.trim()
    );

    // Without the context the model cannot know the name.
    let out = fx.run(
        &[
            "ask",
            "-m",
            &m,
            "-n",
            "40",
            "--temp",
            "0",
            "--no-context",
            "--no-session",
            q,
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !text(&out.stdout).contains("adler_mix_7"),
        "{}",
        text(&out.stdout)
    );
    assert!(text(&out.stderr).contains("context: none"));

    // The first question was saved as a session (the second was not).
    let out = fx.run(&["sessions", "list", "--json"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["title"], q);
    assert_eq!(lines[0]["messages"], 3);
    let id = lines[0]["id"].as_str().unwrap().to_owned();
    let out = fx.run(&["sessions", "show", &id[..12]], None);
    let shown = text(&out.stdout);
    assert!(
        shown.contains(q) && shown.contains("adler_mix_7"),
        "{shown}"
    );
    let out = fx.run(&["sessions", "rm", "latest"], None);
    assert!(out.status.success());
    let out = fx.run(&["sessions", "show", &id], None);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no session"),
        "{}",
        text(&out.stderr)
    );
}

/// The issue's acceptance model, Qwen2.5-Coder-1.5B: slower (about 20 s on 2 idle cores), so it
/// runs on request: `cargo nextest run -p vibrant-cli --test ask_cli --run-ignored all`.
#[test]
#[ignore = "runs the 1.5B model; run with --run-ignored all"]
fn ask_with_the_1_5b_model_names_the_function() {
    let fx = Fixture::new();
    let m = vibrant_testutil::model_path("qwen2.5-coder-1.5b-instruct-q4_k_m");
    let out = fx.run(
        &[
            "ask",
            "-m",
            m.to_str().unwrap(),
            "-n",
            "40",
            "--temp",
            "0",
            "which function in this repo computes the checksum?",
        ],
        None,
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("adler_mix_7"),
        "stdout: {stdout}\nstderr: {stderr}"
    );
}

#[test]
fn ask_json_events_with_piped_stdin_and_continue() {
    let fx = Fixture::new();
    let m = model();
    let out = fx.run(
        &[
            "ask",
            "-m",
            &m,
            "-n",
            "24",
            "--temp",
            "0",
            "--no-context",
            "--json",
            "what is the name of the function in the piped input?",
        ],
        Some("fn totally_unique_helper() -> u8 { 7 }\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let events: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    // The same typed events as the other front ends (`vibrant_core::TurnEvent`): the prompt
    // event says what the window holds before generation starts.
    assert_eq!(types[..3], ["start", "context", "prompt"]);
    assert_eq!(types[types.len() - 2..], ["usage", "end"]);
    assert!(types[3..types.len() - 2].iter().all(|t| *t == "delta"));
    assert!(events[2]["prompt_tokens"].as_u64().unwrap() > 60);
    assert_eq!(events[2]["window"], events[0]["window"]);
    assert_eq!(events[2]["pruned"], 0);
    assert_eq!(events[1]["sources"][0]["kind"], "stdin");
    let answer: String = events
        .iter()
        .filter(|e| e["type"] == "delta")
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert!(answer.contains("totally_unique_helper"), "{answer}");
    let usage = &events[events.len() - 2];
    assert!(usage["prompt_tokens"].as_u64().unwrap() > 60);
    assert!(usage["time_to_first_token"].as_f64().unwrap() > 0.0);
    assert_eq!(events.last().unwrap()["finish"], "stop");
    let session = events[0]["session"].as_str().unwrap().to_owned();

    // --continue sends the saved history again and appends to the same session.
    let out = fx.run(
        &[
            "ask",
            "-m",
            &m,
            "-n",
            "4",
            "--temp",
            "0",
            "--no-context",
            "--continue",
            "--json",
            "and what does it return?",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let first: serde_json::Value =
        serde_json::from_str(text(&out.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(first["session"], session.as_str());
    let out = fx.run(&["sessions", "list", "--json"], None);
    let info: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(info["messages"], 5);
}

fn remote_args(url: &str) -> Vec<String> {
    ["--set", "backend.kind=openai", "--set"]
        .iter()
        .map(|s| (*s).to_owned())
        .chain([format!("backend.url={url}")])
        .chain(["ask", "-m", "remote-model", "--no-context"].map(str::to_owned))
        .collect()
}

#[test]
fn ask_with_an_openai_compatible_server() {
    let fx = Fixture::new();
    let url = serve(
        vec![
            HEAD.to_vec(),
            delta("Use "),
            delta("`adler_mix_7`."),
            b"data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n".to_vec(),
        ],
        std::time::Duration::ZERO,
    );
    let mut args = remote_args(&url);
    args.push("which function?".to_owned());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = fx.run(&args, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Use `adler_mix_7`.\n");
    assert!(
        text(&out.stderr).contains("openai"),
        "{}",
        text(&out.stderr)
    );

    // A dropped stream prints what arrived, saves it, and exits 1 with the reason.
    let url = serve(
        vec![HEAD.to_vec(), delta("half an ans")],
        std::time::Duration::ZERO,
    );
    let mut args = remote_args(&url);
    args.push("again?".to_owned());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = fx.run(&args, None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "half an ans\n");
    assert!(
        text(&out.stderr).contains("cut off"),
        "{}",
        text(&out.stderr)
    );
    let out = fx.run(&["sessions", "show", "latest"], None);
    assert!(
        text(&out.stdout).contains("half an ans\n[failed]"),
        "{}",
        text(&out.stdout)
    );

    // A refused connection is one clear error.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut args = remote_args(&format!("http://127.0.0.1:{port}"));
    args.push("hello?".to_owned());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = fx.run(&args, None);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("cannot connect to") && err.contains("backend.url"),
        "{err}"
    );
    // The answer never started, so no session was left behind for it.
    let out = fx.run(&["sessions", "list", "--json"], None);
    assert_eq!(
        text(&out.stdout).lines().count(),
        2,
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn ctrl_c_stops_the_answer_and_keeps_it() {
    let fx = Fixture::new();
    let mut parts = vec![HEAD.to_vec()];
    parts.extend((0..200).map(|i| delta(&format!("w{i} "))));
    let url = serve(parts, std::time::Duration::from_millis(50));
    let mut args = remote_args(&url);
    args.push("count".to_owned());
    let mut cmd = fx.command(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 3];
    stdout.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"w0 ");
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let code = child.wait().unwrap().code();
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let printed = format!("w0 {rest}");
    assert!(!printed.contains("w199"), "{printed}");
    // What was printed is what the session kept.
    let out = fx.run(&["sessions", "show", "latest"], None);
    let shown = text(&out.stdout);
    assert!(
        shown.contains(printed.trim_end()),
        "{shown}\n---\n{printed}"
    );
    assert!(shown.contains("[cancelled]"), "{shown}");
}

/// A crash or `kill -9` in the middle of an answer (nothing runs on the way out): the session
/// file still loads, keeps every finished turn and the question being answered, and the next
/// `--continue` sends that history and appends to the same session.
#[test]
fn kill_9_mid_answer_keeps_the_session_and_continue_works() {
    let fx = Fixture::new();
    let url = serve(vec![reply("first answer")], std::time::Duration::ZERO);
    let mut args = remote_args(&url);
    args.push("first question".to_owned());
    let out = fx.run(&args.iter().map(String::as_str).collect::<Vec<_>>(), None);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let mut parts = vec![HEAD.to_vec()];
    parts.extend((0..400).map(|i| delta(&format!("k{i} "))));
    let url = serve(parts, std::time::Duration::from_millis(20));
    let mut args = remote_args(&url);
    args.extend(["--continue", "second question"].map(str::to_owned));
    let mut child = fx
        .command(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 3];
    stdout.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"k0 ");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let out = fx.run(&["sessions", "show", "latest", "--json"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let records: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let contents: Vec<&str> = records
        .iter()
        .filter_map(|r| r["content"].as_str())
        .collect();
    assert!(contents.contains(&"first answer"), "{contents:?}");
    assert!(contents.contains(&"second question"), "{contents:?}");

    let (url, bodies) = serve_each(vec![reply("third answer")]);
    let mut args = remote_args(&url);
    args.extend(["--continue", "third question"].map(str::to_owned));
    let out = fx.run(&args.iter().map(String::as_str).collect::<Vec<_>>(), None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "third answer\n");
    let sent = bodies.join().unwrap()[0].to_string();
    assert!(
        sent.contains("first answer") && sent.contains("third question"),
        "{sent}"
    );
    let out = fx.run(&["sessions", "list", "--json"], None);
    assert_eq!(
        text(&out.stdout).lines().count(),
        1,
        "one session: {}",
        text(&out.stdout)
    );
}

#[test]
fn ctrl_c_stops_the_embedded_engine_and_keeps_the_answer() {
    let fx = Fixture::new();
    let m = model();
    let mut cmd = fx.command(&[
        "ask",
        "-m",
        &m,
        "-n",
        "400",
        "--temp",
        "0",
        "--no-context",
        "Write a long story about a robot who learns to write compilers.",
    ]);
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 8];
    stdout.read_exact(&mut first).unwrap();
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(130), "{stderr}");
    assert!(stderr.contains("stop: cancelled"), "{stderr}");
    let printed = text(&[&first[..], &rest].concat());
    let out = fx.run(&["sessions", "show", "latest"], None);
    let shown = text(&out.stdout);
    assert!(
        shown.contains(printed.trim_end()),
        "{shown}\n---\n{printed}"
    );
    assert!(shown.contains("[cancelled]"), "{shown}");
}

#[test]
fn a_closed_stdout_stops_the_answer_and_exits_0() {
    let fx = Fixture::new();
    let mut parts = vec![HEAD.to_vec()];
    parts.extend((0..100).map(|i| delta(&format!("w{i} "))));
    let url = serve(parts, std::time::Duration::from_millis(20));
    let mut args = remote_args(&url);
    args.push("count".to_owned());
    let mut child = fx
        .command(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 3];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout); // like `| head -c 3`
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0), "{stderr}");
    assert!(stderr.contains("stop: cancelled"), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
}

/// Serves one connection per response, in order, and returns the request bodies.
fn serve_each(
    responses: Vec<Vec<u8>>,
) -> (String, std::thread::JoinHandle<Vec<serde_json::Value>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let mut bodies = Vec::new();
        for response in responses {
            let (mut stream, _) = listener.accept().unwrap();
            let body = read_request(&stream);
            // A GET (the model list) has no body.
            bodies.push(if body.is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::from_slice(&body).unwrap()
            });
            stream.write_all(&response).unwrap();
        }
        bodies
    });
    (url, handle)
}

fn reply(text: &str) -> Vec<u8> {
    [HEAD, &delta(text), b"data: [DONE]\n\n"].concat()
}

/// `ask --json` writes `vibrant_core::TurnEvent`s: one object per line, tagged by `type`, in the
/// order start, context, prompt, delta…, usage, end (the compacting/compacted pair comes before
/// the prompt only when a continued session is summarised).
#[test]
fn ask_json_writes_typed_turn_events() {
    let fx = Fixture::new();
    let (url, server) = serve_each(vec![
        [
            HEAD,
            &delta("It packs "),
            &delta("files."),
            b"data: [DONE]\n\n",
        ]
        .concat(),
    ]);
    let mut args = remote_args(&url);
    args.extend(["--json", "--no-session", "what does pack do?"].map(str::to_owned));
    let out = fx.run(&args.iter().map(String::as_str).collect::<Vec<_>>(), None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).is_empty(), "{}", text(&out.stderr));
    let events: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "start", "context", "prompt", "delta", "delta", "usage", "end"
        ]
    );
    let start = &events[0];
    assert_eq!(start["session"], serde_json::Value::Null);
    assert_eq!(start["model"], "remote-model");
    assert!(start["backend"].as_str().unwrap().starts_with("openai"));
    assert_eq!(start["window"], 4096);
    assert_eq!(start["max_tokens"], 1024);
    assert_eq!(events[1]["tokens"], 0);
    assert!(events[1]["budget"].as_u64().unwrap() > 0);
    assert!(events[1]["sources"].as_array().unwrap().is_empty());
    assert!(events[2]["prompt_tokens"].as_u64().unwrap() > 0);
    assert_eq!(events[2]["window"], 4096);
    assert_eq!(events[2]["pruned"], 0);
    assert_eq!(events[3]["text"], "It packs ");
    assert_eq!(events[4]["text"], "files.");
    assert!(events[5]["total"].as_f64().is_some());
    assert_eq!(
        events[6],
        serde_json::json!({"type": "end", "finish": "stop", "error": null, "session": null})
    );
    // The request carried the sampling defaults of `generation.*`.
    let body = &server.join().unwrap()[0];
    assert_eq!(body["max_tokens"], 1024);
    assert!(
        (body["temperature"].as_f64().unwrap() - 0.2).abs() < 1e-6,
        "{body}"
    );
}

#[test]
fn a_long_continued_session_is_compacted_and_says_so() {
    let fx = Fixture::new();
    let long = "lorem ipsum dolor sit amet ".repeat(40); // ~310 estimated tokens
    let (url, server) = serve_each(vec![
        reply(&long),
        reply(&long),
        reply("The user asked twice about lorem ipsum."),
        reply("Done."),
    ]);
    let ask = |q: &str, extra: &[&str]| {
        let mut args = remote_args(&url);
        args.extend(["--ctx", "800", "-n", "100"].map(str::to_owned));
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args.push(q.to_owned());
        fx.run(&args.iter().map(String::as_str).collect::<Vec<_>>(), None)
    };
    assert!(ask("first?", &[]).status.success());
    let out = ask("second?", &["--continue"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("compacted"),
        "{}",
        text(&out.stderr)
    );
    let out = ask("third?", &["--continue"]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("note: compacted 4 earlier messages into a summary"),
        "{stderr}"
    );
    // With this window the first question and answer did not fit the summary request: said so.
    assert!(
        stderr.contains("the 2 oldest were too long to summarise"),
        "{stderr}"
    );
    assert_eq!(text(&out.stdout), "Done.\n");
    let bodies = server.join().unwrap();
    // The third request asked for the summary; the fourth sent it instead of the old turns.
    let summary_request = bodies[2]["messages"].as_array().unwrap();
    assert!(
        summary_request.last().unwrap()["content"]
            .as_str()
            .unwrap()
            .starts_with("Summarise the conversation above")
    );
    let last = bodies[3]["messages"].as_array().unwrap();
    let roles: Vec<&str> = last.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["system", "user", "assistant", "user"]);
    assert!(
        last[1]["content"]
            .as_str()
            .unwrap()
            .contains("The user asked twice about lorem ipsum.")
    );
    // The session file keeps the full history.
    let out = fx.run(&["sessions", "list", "--json"], None);
    let info: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(info["messages"], 7);
}

#[test]
fn explicit_context_comes_first_and_is_reported() {
    let fx = Fixture::new();
    // The server refuses, but the context event is printed before the request.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = fx.run(
        &[
            "--set",
            "backend.kind=openai",
            "--set",
            &format!("backend.url=http://127.0.0.1:{port}"),
            "ask",
            "-m",
            "m",
            "--json",
            "--no-session",
            "--context",
            "src/lib.rs",
            "what does pack do?",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events[0]["type"], "start");
    assert_eq!(events[0]["session"], serde_json::Value::Null);
    let sources = events[1]["sources"].as_array().unwrap();
    let explicit: Vec<&serde_json::Value> =
        sources.iter().filter(|s| s["kind"] == "explicit").collect();
    assert_eq!(explicit.len(), 1);
    assert_eq!(explicit[0]["path"], "src/lib.rs");
    assert_eq!(explicit[0]["lines"], serde_json::json!([1, 7]));
    let tokens: u64 = sources.iter().map(|s| s["tokens"].as_u64().unwrap()).sum();
    assert_eq!(events[1]["tokens"].as_u64().unwrap(), tokens);
    assert!(tokens <= events[1]["budget"].as_u64().unwrap());
    assert!(text(&out.stderr).contains("cannot connect"));
}

#[test]
fn no_stream_prints_at_the_end_and_a_torn_session_is_repaired() {
    let fx = Fixture::new();
    let url = serve(vec![reply("whole answer")], std::time::Duration::ZERO);
    let mut args = remote_args(&url);
    args.extend(["--no-stream", "q"].map(str::to_owned));
    let out = fx.run(&args.iter().map(String::as_str).collect::<Vec<_>>(), None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "whole answer\n");

    // A crash while writing leaves a torn last line: repaired on the next load, and reported.
    let out = fx.run(&["sessions", "list", "--json"], None);
    let info: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    let path = PathBuf::from(info["path"].as_str().unwrap());
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(br#"{"type":"message","ro"#).unwrap();
    drop(f);
    let out = fx.run(&["sessions", "show", "latest", "--json"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("removed a torn last line (21 bytes)"),
        "{}",
        text(&out.stderr)
    );
    let records: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 4); // meta, system, user, assistant
    assert_eq!(records[0]["type"], "meta");
    assert_eq!(records[3]["content"], "whole answer");
    assert_eq!(records[3]["finish"], "stop");
    assert!(std::fs::read_to_string(&path).unwrap().ends_with("}\n"));
}

#[test]
fn vibrant_without_a_command_answers_the_piped_question() {
    let fx = Fixture::new();
    let (url, server) = serve_each(vec![reply("It packs files.")]);
    let out = fx.run(
        &[
            "--set",
            "backend.kind=openai",
            "--set",
            &format!("backend.url={url}"),
            "--set",
            "model.default=remote-model",
        ],
        Some("what does this project do?\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "It packs files.\n");
    let bodies = server.join().unwrap();
    let messages = bodies[0]["messages"].as_array().unwrap();
    let last = messages.last().unwrap()["content"].as_str().unwrap();
    assert!(last.contains("what does this project do?"), "{last}");
    // The piped text is the question, not context added to another one.
    assert!(!last.contains("piped by the user"), "{last}");
}

#[test]
fn vibrant_without_a_command_and_an_empty_pipe_is_one_clear_error() {
    let fx = Fixture::new();
    let out = fx.run(&[], Some("  \n"));
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("no command given and nothing piped on stdin"),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    // --help still prints the help, on stdout.
    let out = fx.run(&["--help"], None);
    assert!(out.status.success());
    assert!(
        text(&out.stdout).contains("Usage: vibrant"),
        "{}",
        text(&out.stdout)
    );
}

fn json_reply(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[test]
fn ask_without_a_model_uses_the_servers_only_model() {
    let fx = Fixture::new();
    let (url, server) = serve_each(vec![
        json_reply(r#"{"object":"list","data":[{"id":"served-coder","object":"model"}]}"#),
        reply("Hello."),
    ]);
    let backend_url = format!("backend.url={url}");
    let args = [
        "--set",
        "backend.kind=openai",
        "--set",
        &backend_url,
        "ask",
        "--no-context",
        "hi?",
    ];
    let out = fx.run(&args, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Hello.\n");
    let bodies = server.join().unwrap();
    assert_eq!(bodies[1]["model"], "served-coder");

    // Several models: an error naming them, and no request for an answer.
    let (url, server) = serve_each(vec![json_reply(
        r#"{"object":"list","data":[{"id":"coder-a"},{"id":"coder-b"}]}"#,
    )]);
    let backend_url = format!("backend.url={url}");
    let args = [
        "--set",
        "backend.kind=openai",
        "--set",
        &backend_url,
        "ask",
        "--no-context",
        "hi?",
    ];
    let out = fx.run(&args, None);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("serves 2 models") && err.contains("coder-a, coder-b") && err.contains("-m"),
        "{err}"
    );
    assert_eq!(server.join().unwrap().len(), 1);
}
