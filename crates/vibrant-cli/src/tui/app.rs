//! The chat screen's state and drawing, apart from the terminal: [`App::update`] takes one
//! [`Event`] and says what the caller should do ([`Action`]); [`App::render`] draws a frame. Both
//! are pure, so tests drive them with ratatui's `TestBackend`.

use ratatui::Frame;
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use unicode_width::UnicodeWidthChar;

use super::command::{self, HELP, SlashCommand};
use super::input::Input;

/// One highlighted code block: per line, its pieces and their colours (`None`: the terminal's).
type HighlightedBlock = std::rc::Rc<Vec<Vec<(Option<Color>, String)>>>;
/// Highlighted code blocks by a hash of language and text (`None`: a language without a grammar).
type HighlightCache = std::collections::HashMap<u64, Option<HighlightedBlock>>;
/// Most code blocks kept highlighted before the cache starts over.
const HIGHLIGHT_CACHE_BLOCKS: usize = 256;

/// Smallest terminal the screen is drawn in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;
/// Most input lines shown at once.
const MAX_INPUT_LINES: usize = 6;
/// Lines one mouse-wheel step scrolls.
const WHEEL_LINES: usize = 3;
/// What the cursor at the end of a streaming answer looks like.
const STREAM_CURSOR: &str = "▌";

/// Who wrote an entry of the scrollback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Author {
    User,
    Assistant,
    /// Messages from vibrant itself (command output, notes).
    Note,
    Error,
}

/// One entry of the scrollback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub author: Author,
    pub text: String,
}

/// What the status line shows.
#[derive(Clone, Debug, Default)]
pub struct Status {
    pub model: String,
    pub backend: String,
    /// Context tokens in use (prompt plus answer of the last turn).
    pub used_tokens: usize,
    pub window: usize,
    /// Decode speed of the last answer.
    pub tokens_per_second: Option<f64>,
    pub session: Option<String>,
    /// Agent mode is on.
    pub agent: bool,
}

/// An input to [`App::update`].
#[derive(Clone, Debug)]
pub enum Event {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    Resize,
}

/// What the caller should do after an update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    None,
    /// Send this question (the app already shows it and an empty streaming answer).
    Submit(String),
    /// Run this slash command (`/help` and `/exit` never reach the caller).
    Command(SlashCommand),
    /// Stop the answer being generated.
    Cancel,
    /// The user answered the agent's approval request (true: go ahead).
    Decide(bool),
    Quit,
}

/// How long after an approval question appears a `y` is still taken for typing that was meant for
/// something else: a deliberate answer comes later.
pub const APPROVAL_GUARD: std::time::Duration = std::time::Duration::from_millis(600);

/// The whole state of the chat screen.
#[derive(Debug)]
pub struct App {
    pub entries: Vec<Entry>,
    pub input: Input,
    /// Lines scrolled up from the bottom (0 follows the newest text).
    pub scroll: usize,
    pub status: Status,
    /// An answer is being generated (the last entry is its partial text).
    pub streaming: bool,
    /// A one-line message in the status bar (cleared by the next key).
    pub notice: Option<String>,
    pub show_help: bool,
    /// The agent is waiting for the user to approve an edit or a command (y/n).
    pub pending_approval: bool,
    /// When the pending approval was shown: `y` pressed sooner than [`APPROVAL_GUARD`] after it
    /// was typed for something else (the user was typing a message when the question came up)
    /// and is ignored.
    pub approval_shown_at: Option<std::time::Instant>,
    /// Colors allowed (false under `NO_COLOR` / `--color never`).
    pub color: bool,
    /// A Ctrl-C was pressed; another one exits.
    ctrl_c_armed: bool,
    /// Height of the scrollback area at the last render (for PageUp/PageDown).
    view_height: usize,
    /// Most lines the scrollback can be scrolled at the last render.
    max_scroll: usize,
    /// Highlighted code blocks by (language, text) hash: the scrollback is drawn every frame
    /// and syntect is too slow to redo every block each time. Cleared when it grows large.
    highlighted: std::cell::RefCell<HighlightCache>,
    /// Highlight in 24-bit colour (`COLORTERM=truecolor`), else in the 256-colour palette.
    pub truecolor: bool,
}

impl App {
    pub fn new(status: Status, color: bool) -> Self {
        Self {
            entries: Vec::new(),
            input: Input::default(),
            scroll: 0,
            status,
            streaming: false,
            notice: None,
            show_help: false,
            pending_approval: false,
            approval_shown_at: None,
            color,
            ctrl_c_armed: false,
            view_height: 10,
            max_scroll: usize::MAX,
            highlighted: Default::default(),
            truecolor: crate::highlight::truecolor(),
        }
    }

    /// Adds an entry to the scrollback and follows it.
    pub fn push(&mut self, author: Author, text: impl Into<String>) {
        self.entries.push(Entry {
            author,
            text: text.into(),
        });
        self.scroll = 0;
    }

    /// Appends streamed text to the answer being generated.
    pub fn delta(&mut self, text: &str) {
        if let Some(e) = self
            .entries
            .last_mut()
            .filter(|e| e.author == Author::Assistant)
        {
            e.text.push_str(text);
        }
    }

    /// Agent activity in the middle of a streamed answer: the answer so far stays, the note
    /// follows it, and the next streamed text starts a new answer entry.
    pub fn agent_note(&mut self, text: impl Into<String>) {
        if self
            .entries
            .last()
            .is_some_and(|e| e.author == Author::Assistant && e.text.trim().is_empty())
        {
            self.entries.pop();
        }
        self.push(Author::Note, text);
        if self.streaming {
            self.push(Author::Assistant, String::new());
        }
    }

    /// Shows an approval request and waits for y/n.
    pub fn ask_approval(&mut self, text: impl Into<String>) {
        self.agent_note(text);
        self.pending_approval = true;
        self.approval_shown_at = Some(std::time::Instant::now());
        self.notice = Some("approve? y = yes, n = no".to_owned());
    }

    /// Ends streaming; an empty answer entry is removed, a note is added when given.
    pub fn finish(&mut self, note: Option<String>) {
        self.streaming = false;
        if self
            .entries
            .last()
            .is_some_and(|e| e.author == Author::Assistant && e.text.is_empty())
        {
            self.entries.pop();
        }
        if let Some(n) = note {
            self.push(Author::Note, n);
        }
    }

    /// The last fenced code block of the last assistant answer that has one.
    pub fn last_code_block(&self) -> Option<String> {
        self.entries
            .iter()
            .rev()
            .filter(|e| e.author == Author::Assistant)
            .find_map(|e| last_fence(&e.text))
    }

    /// The conversation as markdown (for `/save`).
    pub fn to_markdown(&self) -> String {
        let mut out = String::from("# Vibrant chat\n");
        for e in &self.entries {
            let heading = match e.author {
                Author::User => "## You",
                Author::Assistant => "## Assistant",
                Author::Note | Author::Error => continue,
            };
            out.push_str(&format!("\n{heading}\n\n{}\n", e.text.trim_end()));
        }
        out
    }

    pub fn update(&mut self, event: Event) -> Action {
        match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => self.key(key),
            Event::Key(_) => Action::None,
            Event::Paste(text) => {
                self.input.insert_str(&text);
                Action::None
            }
            Event::Mouse(m) => {
                match m.kind {
                    MouseEventKind::ScrollUp => self.scroll_by(WHEEL_LINES as isize),
                    MouseEventKind::ScrollDown => self.scroll_by(-(WHEEL_LINES as isize)),
                    _ => {}
                }
                Action::None
            }
            Event::Resize => {
                // The next render recomputes the wrapping; keep the scroll within range.
                self.max_scroll = usize::MAX;
                Action::None
            }
        }
    }

    fn scroll_by(&mut self, lines: isize) {
        self.scroll = self
            .scroll
            .saturating_add_signed(lines)
            .min(self.max_scroll);
    }

    fn key(&mut self, key: KeyEvent) -> Action {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        let shift = key.modifiers.contains(KeyModifiers::SHIFT);
        if ctrl && key.code == KeyCode::Char('c') {
            return self.ctrl_c();
        }
        self.ctrl_c_armed = false;
        if self.pending_approval {
            let early = self
                .approval_shown_at
                .is_some_and(|t| t.elapsed() < APPROVAL_GUARD);
            let answer = match key.code {
                KeyCode::Char('y' | 'Y') if early => {
                    // Typed before the question could be read: not an answer to it.
                    self.notice = Some(
                        "approve? y = yes, n = no (a key pressed as the question appeared is ignored)"
                            .to_owned(),
                    );
                    return Action::None;
                }
                KeyCode::Char('y' | 'Y') => true,
                KeyCode::Char('n' | 'N') | KeyCode::Esc => false,
                _ => {
                    self.notice = Some("approve? y = yes, n = no".to_owned());
                    return Action::None;
                }
            };
            self.pending_approval = false;
            self.notice = None;
            self.agent_note(if answer { "  approved" } else { "  denied" });
            return Action::Decide(answer);
        }
        self.notice = None;
        if self.show_help {
            if matches!(key.code, KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q')) {
                self.show_help = false;
            }
            return Action::None;
        }
        let page = self.view_height.saturating_sub(2).max(1) as isize;
        match key.code {
            KeyCode::Char('d') if ctrl && self.input.is_blank() => return Action::Quit,
            KeyCode::Char('j') if ctrl => self.input.newline(),
            KeyCode::Enter if alt || shift => self.input.newline(),
            KeyCode::Enter => return self.submit(),
            KeyCode::Char(c) if !ctrl => self.input.insert_char(c),
            KeyCode::Backspace => self.input.backspace(),
            KeyCode::Delete => self.input.delete(),
            KeyCode::Left => self.input.left(),
            KeyCode::Right => self.input.right(),
            KeyCode::Up => self.input.up(),
            KeyCode::Down => self.input.down(),
            KeyCode::Home => self.input.home(),
            KeyCode::End => self.input.end(),
            KeyCode::PageUp => self.scroll_by(page),
            KeyCode::PageDown => self.scroll_by(-page),
            KeyCode::F(1) => self.show_help = true,
            _ => {}
        }
        Action::None
    }

    fn ctrl_c(&mut self) -> Action {
        if self.ctrl_c_armed {
            return Action::Quit;
        }
        if self.pending_approval {
            // Deny, then stop: the chat layer cancels after answering.
            self.pending_approval = false;
            self.ctrl_c_armed = true;
            self.notice = Some("denied and stopping… (Ctrl-C again exits)".to_owned());
            return Action::Decide(false);
        }
        self.ctrl_c_armed = true;
        if self.streaming {
            self.notice = Some("stopping… (Ctrl-C again exits)".to_owned());
            return Action::Cancel;
        }
        if !self.input.is_blank() {
            self.input.take();
        }
        self.notice = Some("press Ctrl-C again to exit".to_owned());
        Action::None
    }

    fn submit(&mut self) -> Action {
        if self.input.is_blank() {
            return Action::None;
        }
        let text = self.input.text();
        if let Some(parsed) = command::parse(&text) {
            self.input.take();
            return match parsed {
                Ok(SlashCommand::Help) => {
                    self.show_help = true;
                    Action::None
                }
                Ok(SlashCommand::Exit) => Action::Quit,
                Ok(SlashCommand::Clear) => {
                    self.entries.clear();
                    self.scroll = 0;
                    self.status.used_tokens = 0;
                    self.status.tokens_per_second = None;
                    Action::Command(SlashCommand::Clear)
                }
                Ok(cmd) => Action::Command(cmd),
                Err(why) => {
                    self.notice = Some(why);
                    Action::None
                }
            };
        }
        if self.streaming {
            self.notice = Some("an answer is still coming; Ctrl-C stops it".to_owned());
            return Action::None;
        }
        self.input.take();
        let text = text.trim_end().to_owned();
        self.push(Author::User, text.clone());
        self.push(Author::Assistant, String::new());
        self.streaming = true;
        Action::Submit(text)
    }

    fn styled(&self, style: Style) -> Style {
        if self.color {
            style
        } else {
            Style::default().add_modifier(style.add_modifier)
        }
    }

    /// The scrollback as screen lines `width` columns wide.
    fn scrollback_lines(&self, width: usize) -> Vec<Line<'static>> {
        let mut lines = Vec::new();
        for (i, e) in self.entries.iter().enumerate() {
            if i > 0 {
                lines.push(Line::raw(""));
            }
            let (label, color) = match e.author {
                Author::User => ("you", Color::Green),
                Author::Assistant => ("assistant", Color::Cyan),
                Author::Note => ("vibrant", Color::Yellow),
                Author::Error => ("error", Color::Red),
            };
            lines.push(Line::styled(
                label,
                self.styled(Style::new().fg(color).add_modifier(Modifier::BOLD)),
            ));
            let start = lines.len();
            let text_style = match e.author {
                Author::Error => self.styled(Style::new().fg(Color::Red)),
                Author::Note => self.styled(Style::new().fg(Color::Yellow)),
                _ => Style::new(),
            };
            self.markdown_lines(&e.text, width, text_style, &mut lines);
            let last = i + 1 == self.entries.len();
            if last && self.streaming && e.author == Author::Assistant {
                if lines.len() == start {
                    lines.push(Line::raw(""));
                }
                let cursor = Span::styled(
                    STREAM_CURSOR,
                    self.styled(
                        Style::new()
                            .fg(Color::Cyan)
                            .add_modifier(Modifier::SLOW_BLINK),
                    ),
                );
                if let Some(l) = lines.last_mut() {
                    if l.width() >= width {
                        lines.push(Line::from(cursor));
                    } else {
                        l.spans.push(cursor);
                    }
                }
            }
        }
        lines
    }

    /// Light markdown: code fences dimmed, code syntax-highlighted (syntect, by the fence's
    /// language; plain code colour for unknown languages or without colour), headings bold.
    fn markdown_lines(&self, text: &str, width: usize, base: Style, out: &mut Vec<Line<'static>>) {
        let fence = self.styled(Style::new().fg(Color::DarkGray));
        let code = self.styled(Style::new().fg(Color::LightYellow));
        let lines: Vec<&str> = text.split('\n').collect();
        let mut i = 0;
        while i < lines.len() {
            let raw = lines[i];
            i += 1;
            if !is_fence(raw) {
                let (style, pieces) = if raw.starts_with('#') {
                    (base.add_modifier(Modifier::BOLD), wrap(raw, width, true))
                } else {
                    (base, wrap(raw, width, true))
                };
                for piece in pieces {
                    out.push(Line::styled(piece, style));
                }
                continue;
            }
            for piece in wrap(raw, width, false) {
                out.push(Line::styled(piece, fence));
            }
            // The block runs to the closing fence, or to the end of an answer still streaming.
            let lang = raw.trim_start().trim_start_matches('`').trim();
            let start = i;
            while i < lines.len() && !is_fence(lines[i]) {
                i += 1;
            }
            let body: Vec<String> = lines[start..i]
                .iter()
                .map(|l| l.replace('\t', "    "))
                .collect();
            let coloured = if self.color {
                self.highlight_block(lang, &body)
            } else {
                None
            };
            for (n, raw) in body.iter().enumerate() {
                match coloured.as_ref().and_then(|c| c.get(n)) {
                    Some(spans) => {
                        let mut pieces = vec![Span::raw("  ")];
                        pieces.extend(spans.iter().map(|(c, t)| match c {
                            Some(c) => Span::styled(t.clone(), Style::new().fg(*c)),
                            None => Span::raw(t.clone()),
                        }));
                        out.extend(wrap_spans(pieces, width));
                    }
                    None => {
                        for piece in wrap(&format!("  {raw}"), width, false) {
                            out.push(Line::styled(piece, code));
                        }
                    }
                }
            }
            if i < lines.len() {
                for piece in wrap(lines[i], width, false) {
                    out.push(Line::styled(piece, fence));
                }
                i += 1;
            }
        }
    }

    /// The coloured pieces of each line of a code block, `None` for a language syntect does not
    /// know. Cached by the block's language and text, since the scrollback is drawn every frame
    /// and highlighting is the slow part of a frame.
    fn highlight_block(&self, lang: &str, body: &[String]) -> Option<HighlightedBlock> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        lang.hash(&mut h);
        body.hash(&mut h);
        let key = h.finish();
        if let Some(hit) = self.highlighted.borrow().get(&key) {
            return hit.clone();
        }
        let truecolor = self.truecolor;
        let coloured = crate::highlight::highlighter()
            .and_then(|hl| hl.block(lang))
            .map(|mut block| {
                let lines = body
                    .iter()
                    .map(|line| {
                        block
                            .line(line)
                            .into_iter()
                            .map(|(c, t)| {
                                let c = c.map(|c| {
                                    if truecolor {
                                        Color::Rgb(c.0, c.1, c.2)
                                    } else {
                                        Color::Indexed(c.to_256())
                                    }
                                });
                                (c, t)
                            })
                            .collect()
                    })
                    .collect();
                std::rc::Rc::new(lines)
            });
        let mut cache = self.highlighted.borrow_mut();
        if cache.len() >= HIGHLIGHT_CACHE_BLOCKS {
            cache.clear();
        }
        cache.insert(key, coloured.clone());
        coloured
    }

    /// Draws the screen.
    pub fn render(&mut self, frame: &mut Frame<'_>) {
        let area = frame.area();
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            let msg = format!(
                "terminal too small: {}×{} (vibrant chat needs {MIN_WIDTH}×{MIN_HEIGHT})",
                area.width, area.height
            );
            let y = area.height / 2;
            frame.render_widget(
                Paragraph::new(msg)
                    .centered()
                    .wrap(ratatui::widgets::Wrap { trim: true }),
                Rect::new(
                    area.x,
                    area.y + y.saturating_sub(1),
                    area.width,
                    area.height - y.saturating_sub(1),
                ),
            );
            return;
        }
        let input_rows = self.input.lines().len().clamp(1, MAX_INPUT_LINES) as u16;
        let [scroll_area, input_area, status_area] = Layout::vertical([
            Constraint::Min(3),
            Constraint::Length(input_rows + 2),
            Constraint::Length(1),
        ])
        .areas(area);
        self.render_scrollback(frame, scroll_area);
        self.render_input(frame, input_area);
        self.render_status(frame, status_area);
        if self.show_help {
            self.render_help(frame, scroll_area);
        }
    }

    fn render_scrollback(&mut self, frame: &mut Frame<'_>, area: Rect) {
        let width = usize::from(area.width).saturating_sub(1).max(10);
        let lines = self.scrollback_lines(width);
        let height = usize::from(area.height);
        self.view_height = height;
        self.max_scroll = lines.len().saturating_sub(height);
        self.scroll = self.scroll.min(self.max_scroll);
        let top = lines.len().saturating_sub(height + self.scroll);
        let visible: Vec<Line<'static>> = lines.into_iter().skip(top).take(height).collect();
        if visible.is_empty() {
            let hint = Line::styled(
                "Ask about this repository · Enter sends · Alt-Enter new line · /help: commands",
                self.styled(Style::new().fg(Color::DarkGray)),
            );
            frame.render_widget(Paragraph::new(hint), area);
        } else {
            frame.render_widget(Paragraph::new(visible), area);
        }
        if self.scroll > 0 {
            let tag = format!(" ↑ {} more lines below (PageDown) ", self.scroll);
            let w = tag.chars().count() as u16;
            let r = Rect::new(
                area.right().saturating_sub(w),
                area.bottom() - 1,
                w.min(area.width),
                1,
            );
            frame.render_widget(
                Paragraph::new(tag).style(
                    self.styled(Style::new().fg(Color::Black).bg(Color::Yellow))
                        .add_modifier(Modifier::REVERSED),
                ),
                r,
            );
        }
    }

    fn render_input(&self, frame: &mut Frame<'_>, area: Rect) {
        let title = if self.streaming {
            " generating… Ctrl-C stops "
        } else {
            " message · Enter sends · Alt-Enter new line · /help "
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .title(title)
            .border_style(self.styled(Style::new().fg(Color::DarkGray)));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let (row, col) = self.input.cursor();
        let rows = usize::from(inner.height);
        let first_row = (row + 1).saturating_sub(rows);
        let width = usize::from(inner.width);
        let cursor_x: usize = self.input.lines()[row]
            .chars()
            .take(col)
            .map(|c| c.width().unwrap_or(0))
            .sum();
        let shift = (cursor_x + 1).saturating_sub(width);
        let lines: Vec<Line<'_>> = self
            .input
            .lines()
            .iter()
            .skip(first_row)
            .take(rows)
            .map(|l| Line::raw(skip_columns(l, shift)))
            .collect();
        frame.render_widget(Paragraph::new(lines), inner);
        if !self.show_help {
            frame.set_cursor_position(Position::new(
                inner.x + (cursor_x - shift) as u16,
                inner.y + (row - first_row) as u16,
            ));
        }
    }

    fn render_status(&self, frame: &mut Frame<'_>, area: Rect) {
        let s = &self.status;
        let mut parts = vec![s.model.clone(), s.backend.clone()];
        if s.agent {
            parts.push("agent".to_owned());
        }
        if s.window > 0 {
            parts.push(format!("ctx {}/{}", s.used_tokens, s.window));
        }
        if let Some(tps) = s.tokens_per_second {
            parts.push(format!("{tps:.1} tok/s"));
        }
        if let Some(id) = &s.session {
            parts.push(format!(
                "session {}",
                id.chars().take(8).collect::<String>()
            ));
        }
        let mut text = format!(" {}", parts.join(" · "));
        if let Some(n) = &self.notice {
            text.push_str(&format!("  │ {n}"));
        }
        frame.render_widget(
            Paragraph::new(text).style(
                self.styled(Style::new().fg(Color::Black).bg(Color::Cyan))
                    .add_modifier(Modifier::REVERSED),
            ),
            area,
        );
    }

    fn render_help(&self, frame: &mut Frame<'_>, area: Rect) {
        let mut lines: Vec<Line<'_>> = HELP
            .iter()
            .map(|(cmd, what)| Line::raw(format!(" {cmd:<19} {what}")))
            .collect();
        lines.push(Line::raw(""));
        lines.push(Line::raw(
            " Enter send · Alt-Enter/Shift-Enter/Ctrl-J new line",
        ));
        lines.push(Line::raw(
            " PageUp/PageDown, mouse wheel: scroll · Ctrl-C stop/exit",
        ));
        let h = (lines.len() as u16 + 2).min(area.height);
        let w = 76.min(area.width);
        let r = Rect::new(
            area.x + (area.width - w) / 2,
            area.y + (area.height - h) / 2,
            w,
            h,
        );
        frame.render_widget(Clear, r);
        frame.render_widget(
            Paragraph::new(lines).block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(" help (Esc closes) "),
            ),
            r,
        );
    }
}

/// The text of the last complete (or unterminated) fenced code block in `text`.
fn last_fence(text: &str) -> Option<String> {
    let mut found = None;
    let mut current: Option<Vec<&str>> = None;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            match current.take() {
                Some(block) => found = Some(block.join("\n")),
                None => current = Some(Vec::new()),
            }
        } else if let Some(block) = current.as_mut() {
            block.push(line);
        }
    }
    current.map(|b| b.join("\n")).or(found)
}

/// `s` without its first `columns` display columns.
fn skip_columns(s: &str, columns: usize) -> String {
    let mut skipped = 0;
    s.chars()
        .skip_while(|c| {
            if skipped >= columns {
                return false;
            }
            skipped += c.width().unwrap_or(0);
            true
        })
        .collect()
}

/// Whether a line opens or closes a fenced code block.
fn is_fence(line: &str) -> bool {
    let t = line.trim_start();
    line.len() - t.len() < 4 && t.starts_with("```")
}

/// Styled pieces of one line cut into screen lines `width` columns wide (character breaks, as
/// for code).
fn wrap_spans(spans: Vec<Span<'static>>, width: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut cur: Vec<Span<'static>> = Vec::new();
    let mut cur_w = 0;
    for span in spans {
        let mut text = String::new();
        for c in span.content.chars() {
            let w = c.width().unwrap_or(0);
            if cur_w + w > width {
                if !text.is_empty() {
                    cur.push(Span::styled(std::mem::take(&mut text), span.style));
                }
                lines.push(Line::from(std::mem::take(&mut cur)));
                cur_w = 0;
            }
            text.push(c);
            cur_w += w;
        }
        if !text.is_empty() {
            cur.push(Span::styled(text, span.style));
        }
    }
    lines.push(Line::from(cur));
    lines
}

/// Splits one line into pieces at most `width` columns wide, at spaces when `words` and
/// possible, else anywhere.
fn wrap(line: &str, width: usize, words: bool) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut cur_w = 0;
    for c in line.chars() {
        let c = if c == '\t' { ' ' } else { c };
        let w = c.width().unwrap_or(0);
        if cur_w + w > width {
            if words && c == ' ' {
                // Break at this space; it is not carried to the next line.
                out.push(std::mem::take(&mut cur));
                cur_w = 0;
                continue;
            }
            let break_at = if words {
                cur.rfind(' ').filter(|&i| i > 0)
            } else {
                None
            };
            match break_at {
                Some(i) => {
                    let rest = cur[i + 1..].to_owned();
                    cur.truncate(i);
                    out.push(std::mem::replace(&mut cur, rest));
                    cur_w = cur.chars().map(|c| c.width().unwrap_or(0)).sum();
                }
                None => {
                    out.push(std::mem::take(&mut cur));
                    cur_w = 0;
                }
            }
        }
        cur.push(c);
        cur_w += w;
    }
    out.push(cur);
    out
}

#[cfg(test)]
mod tests;
