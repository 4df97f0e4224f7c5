//! Rendered-frame tests of the chat screen (ratatui `TestBackend` + insta snapshots) and of
//! how keys change the state.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use ratatui::style::Color;

use super::{Action, App, Author, Event, Status};
use crate::tui::SlashCommand;

fn app(color: bool) -> App {
    App::new(
        Status {
            model: "qwen2.5-coder-0.5b".to_owned(),
            backend: "embedded".to_owned(),
            used_tokens: 0,
            window: 4096,
            tokens_per_second: None,
            session: None,
            agent: false,
        },
        color,
    )
}

fn draw(app: &mut App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| app.render(f)).unwrap();
    t
}

fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn mods(code: KeyCode, m: KeyModifiers) -> Event {
    Event::Key(KeyEvent::new(code, m))
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        assert_eq!(app.update(key(KeyCode::Char(c))), Action::None);
    }
}

const ANSWER: &str = "Use `fs::read_to_string`:\n\n```rust\nlet s = std::fs::read_to_string(\"a.txt\")?;\n```\n\nIt returns an `io::Result<String>`.";

#[test]
fn empty_screen() {
    let mut a = app(true);
    let t = draw(&mut a, 80, 24);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn conversation_with_a_code_block() {
    let mut a = app(true);
    type_text(&mut a, "how do I read a file?");
    assert_eq!(
        a.update(key(KeyCode::Enter)),
        Action::Submit("how do I read a file?".to_owned())
    );
    a.delta(ANSWER);
    a.status.used_tokens = 312;
    a.status.tokens_per_second = Some(41.25);
    a.finish(None);
    let t = draw(&mut a, 80, 24);
    insta::assert_snapshot!(t.backend());
    // The code is syntax-highlighted: the keyword and the string differ in colour, and both
    // differ from the prose.
    let buf = t.backend().buffer();
    let prose = find(&t, "It returns");
    let (kw, s) = (find(&t, "let s ="), find(&t, "a.txt"));
    assert_ne!(buf[kw].fg, Color::Reset);
    assert_ne!(buf[s].fg, Color::Reset);
    assert_ne!(buf[kw].fg, buf[s].fg);
    assert_ne!(buf[kw].fg, buf[prose].fg);
}

/// Rows `rows` of the screen as runs of text in one foreground colour: `[colour]text`.
fn colour_runs(t: &Terminal<TestBackend>, rows: std::ops::Range<u16>) -> String {
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in rows {
        let mut last = None;
        let mut line = String::new();
        for x in 0..buf.area.width {
            let cell = &buf[(x, y)];
            if last != Some(cell.fg) {
                line.push_str(&format!("[{:?}]", cell.fg));
                last = Some(cell.fg);
            }
            line.push_str(cell.symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The position of the first cell of `text` on the screen.
fn find(t: &Terminal<TestBackend>, text: &str) -> (u16, u16) {
    let buf = t.backend().buffer();
    let area = buf.area;
    for y in 0..area.height {
        let row: Vec<&str> = (0..area.width).map(|x| buf[(x, y)].symbol()).collect();
        let line = row.concat();
        if let Some(at) = line.find(text) {
            // Cells hold one character each here (ASCII), so the byte offset is the column.
            return (u16::try_from(at).unwrap(), y);
        }
    }
    panic!("{text:?} is not on the screen");
}

#[test]
fn python_and_unknown_languages_in_the_scrollback() {
    let mut a = app(true);
    type_text(&mut a, "two blocks");
    a.update(key(KeyCode::Enter));
    a.delta("```python\ndef f():\n    return \"done\"\n```\n```nosuchlang\nplain words here\n```");
    a.finish(None);
    a.truecolor = false;
    let t = draw(&mut a, 80, 24);
    insta::assert_snapshot!(t.backend());
    insta::assert_snapshot!(
        "python_and_unknown_languages_colours",
        colour_runs(&t, 4..11)
    );
    let buf = t.backend().buffer();
    let (kw, s) = (find(&t, "def f"), find(&t, "done"));
    assert_ne!(buf[kw].fg, Color::Reset);
    assert_ne!(buf[s].fg, Color::Reset);
    assert_ne!(buf[kw].fg, buf[s].fg);
    // A language without a grammar is drawn in the one code colour.
    let (x, y) = find(&t, "plain words here");
    for dx in 0..16 {
        assert_eq!(buf[(x + dx, y)].fg, Color::LightYellow);
    }
}

#[test]
fn long_code_lines_wrap_and_keep_their_colours_while_streaming() {
    let mut a = app(true);
    type_text(&mut a, "long");
    a.update(key(KeyCode::Enter));
    // Still streaming, the block not yet closed: it is highlighted as far as it goes.
    let long = format!("let value = \"{}\";", "x".repeat(90));
    a.delta(&format!("```rust\n{long}\nfn"));
    let t = draw(&mut a, 80, 24);
    let buf = t.backend().buffer();
    let (x, y) = find(&t, "let value");
    let string = buf[(x + 13, y)].fg;
    assert_ne!(string, buf[(x, y)].fg, "the string differs from `let`");
    // The second screen line of the code line carries on in the string's colour.
    assert_eq!(buf[(0, y + 1)].symbol(), "x");
    assert_eq!(buf[(0, y + 1)].fg, string);
    let (x, y) = find(&t, "fn");
    assert_eq!(
        buf[(x, y)].fg,
        buf[find(&t, "let value")].fg,
        "keywords share a colour"
    );
}

#[test]
fn no_color_draws_without_colors() {
    let mut a = app(false);
    type_text(&mut a, "q");
    a.update(key(KeyCode::Enter));
    a.delta(ANSWER);
    a.finish(None);
    let t = draw(&mut a, 80, 24);
    let buf = t.backend().buffer();
    for cell in buf.content() {
        assert_eq!(
            cell.fg,
            Color::Reset,
            "a colored cell under NO_COLOR: {cell:?}"
        );
        assert_eq!(
            cell.bg,
            Color::Reset,
            "a colored cell under NO_COLOR: {cell:?}"
        );
    }
}

#[test]
fn streaming_shows_a_cursor() {
    let mut a = app(true);
    type_text(&mut a, "explain main");
    a.update(key(KeyCode::Enter));
    assert!(a.streaming);
    a.delta("The `main` function parses the command line and");
    let t = draw(&mut a, 80, 24);
    insta::assert_snapshot!(t.backend());
    // While streaming, Enter does not send another question.
    type_text(&mut a, "more");
    assert_eq!(a.update(key(KeyCode::Enter)), Action::None);
    assert!(a.notice.as_deref().unwrap().contains("Ctrl-C"));
}

#[test]
fn help_overlay() {
    let mut a = app(true);
    type_text(&mut a, "/help");
    assert_eq!(a.update(key(KeyCode::Enter)), Action::None);
    assert!(a.show_help);
    let t = draw(&mut a, 80, 24);
    insta::assert_snapshot!(t.backend());
    a.update(key(KeyCode::Esc));
    assert!(!a.show_help);
}

#[test]
fn terminal_too_small() {
    let mut a = app(true);
    let t = draw(&mut a, 60, 20);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn alt_and_shift_enter_insert_newlines_and_enter_sends() {
    let mut a = app(true);
    type_text(&mut a, "line one");
    assert_eq!(
        a.update(mods(KeyCode::Enter, KeyModifiers::ALT)),
        Action::None
    );
    type_text(&mut a, "two");
    assert_eq!(
        a.update(mods(KeyCode::Enter, KeyModifiers::SHIFT)),
        Action::None
    );
    type_text(&mut a, "three");
    assert_eq!(a.input.lines().len(), 3);
    assert_eq!(
        a.update(key(KeyCode::Enter)),
        Action::Submit("line one\ntwo\nthree".to_owned())
    );
    assert_eq!(a.entries[0].author, Author::User);
    assert_eq!(a.entries[1].author, Author::Assistant);
    assert!(a.input.is_blank());
}

#[test]
fn ctrl_c_cancels_then_exits_and_ctrl_d_exits_on_empty_input() {
    let ctrl = |c| mods(KeyCode::Char(c), KeyModifiers::CONTROL);
    let mut a = app(true);
    type_text(&mut a, "q");
    a.update(key(KeyCode::Enter));
    assert_eq!(a.update(ctrl('c')), Action::Cancel);
    assert_eq!(a.update(ctrl('c')), Action::Quit);

    let mut a = app(true);
    type_text(&mut a, "draft");
    assert_eq!(a.update(ctrl('d')), Action::None); // not empty: ignored
    assert_eq!(a.update(ctrl('c')), Action::None); // clears the input
    assert!(a.input.is_blank());
    type_text(&mut a, "x"); // another key disarms
    assert_eq!(a.update(ctrl('c')), Action::None);
    assert_eq!(a.update(ctrl('d')), Action::Quit);
}

#[test]
fn slash_commands_reach_the_caller_and_errors_show_in_the_status_line() {
    let mut a = app(true);
    type_text(&mut a, "/save out.md");
    assert_eq!(
        a.update(key(KeyCode::Enter)),
        Action::Command(SlashCommand::Save("out.md".into()))
    );
    type_text(&mut a, "/bogus");
    assert_eq!(a.update(key(KeyCode::Enter)), Action::None);
    assert!(a.notice.as_deref().unwrap().contains("/bogus"));
    type_text(&mut a, "/exit");
    assert_eq!(a.update(key(KeyCode::Enter)), Action::Quit);
}

#[test]
fn page_and_wheel_scroll_within_the_history() {
    let mut a = app(true);
    for i in 0..40 {
        a.push(Author::Note, format!("note {i}"));
    }
    draw(&mut a, 80, 24);
    a.update(key(KeyCode::PageUp));
    let page = a.scroll;
    assert!(page > 0);
    a.update(Event::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollUp,
        column: 0,
        row: 0,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(a.scroll, page + 3);
    for _ in 0..100 {
        a.update(key(KeyCode::PageUp));
    }
    let t = draw(&mut a, 80, 24);
    let top: String = (0..80)
        .map(|x| t.backend().buffer()[(x, 0)].symbol())
        .collect();
    assert!(top.starts_with("vibrant"), "scrolled to the top: {top:?}");
    a.update(key(KeyCode::PageDown));
    assert!(a.scroll < a.max_scroll);
    // A resize re-wraps on the next draw and keeps the scroll in range.
    a.update(Event::Resize);
    draw(&mut a, 120, 40);
    assert!(a.scroll <= a.max_scroll);
}

#[test]
fn markdown_export_and_last_code_block() {
    let mut a = app(true);
    type_text(&mut a, "how do I read a file?");
    a.update(key(KeyCode::Enter));
    a.delta(ANSWER);
    a.finish(Some("a note".to_owned()));
    assert_eq!(
        a.last_code_block().as_deref(),
        Some("let s = std::fs::read_to_string(\"a.txt\")?;")
    );
    let md = a.to_markdown();
    assert!(md.contains("## You\n\nhow do I read a file?\n"));
    assert!(md.contains("## Assistant\n\nUse `fs::read_to_string`"));
    assert!(!md.contains("a note"));
}

#[test]
fn wrap_breaks_at_spaces_and_hard_breaks_long_words() {
    assert_eq!(super::wrap("aaa bbb ccc", 7, true), ["aaa bbb", "ccc"]);
    assert_eq!(super::wrap("abcdefghij", 4, true), ["abcd", "efgh", "ij"]);
    assert_eq!(super::wrap("ab cd", 3, false), ["ab ", "cd"]);
    assert_eq!(super::wrap("", 5, true), [""]);
}

#[test]
fn multi_line_input_grows_the_box_and_places_the_cursor() {
    let mut a = app(true);
    type_text(&mut a, "first line");
    a.update(mods(KeyCode::Enter, KeyModifiers::ALT));
    type_text(&mut a, "second");
    let mut t = draw(&mut a, 80, 24);
    insta::assert_snapshot!(t.backend());
    // Rows from the bottom: status line (23), border (22), "second" (21); after its 6 columns.
    t.backend_mut().assert_cursor_position((1 + 6, 21));
}

#[test]
fn agent_approval_waits_for_y_or_n() {
    let mut a = app(false);
    a.status.agent = true;
    type_text(&mut a, "fix the typo");
    assert_eq!(
        a.update(key(KeyCode::Enter)),
        Action::Submit("fix the typo".to_owned())
    );
    a.delta("Let me fix it.");
    a.agent_note("→ edit_file path=\"hello.txt\"");
    a.ask_approval("approve? edit_file wants to change hello.txt:\n```diff\n-helo\n+hello\n```");
    // Other keys do not type into the input while a request is pending.
    assert_eq!(a.update(key(KeyCode::Char('x'))), Action::None);
    assert!(a.input.is_blank());
    // A `y` the moment the question appears was typed for something else: ignored.
    assert_eq!(a.update(key(KeyCode::Char('y'))), Action::None);
    assert!(a.pending_approval);
    assert!(a.notice.as_deref().unwrap_or("").contains("ignored"));
    // Later, it answers.
    a.approval_shown_at = Some(std::time::Instant::now() - super::APPROVAL_GUARD);
    assert_eq!(a.update(key(KeyCode::Char('y'))), Action::Decide(true));
    assert!(!a.pending_approval);
    // The streamed answer, the tool call, the request and the answer are in order.
    let authors: Vec<Author> = a.entries.iter().map(|e| e.author).collect();
    assert_eq!(
        authors,
        [
            Author::User,
            Author::Assistant,
            Author::Note,
            Author::Note,
            Author::Note,
            Author::Assistant
        ]
    );
    assert_eq!(a.entries[4].text, "  approved");
    // Ctrl-C while asked: denied, and the caller stops the task.
    a.ask_approval("approve? run `make`");
    assert_eq!(
        a.update(mods(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        Action::Decide(false)
    );
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| a.render(f)).unwrap();
    let screen = format!("{:?}", t.backend());
    assert!(screen.contains("agent"), "the status line shows agent mode");
}
