//! The multi-line input buffer: lines of text and a cursor (row, column in characters).

/// Text being typed, with a cursor.
#[derive(Clone, Debug)]
pub struct Input {
    lines: Vec<String>,
    row: usize,
    /// Column in characters (not bytes).
    col: usize,
}

impl Default for Input {
    fn default() -> Self {
        Self {
            lines: vec![String::new()],
            row: 0,
            col: 0,
        }
    }
}

fn byte_at(s: &str, col: usize) -> usize {
    s.char_indices().nth(col).map_or(s.len(), |(i, _)| i)
}

impl Input {
    /// The lines of text.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// The cursor: (row, column in characters).
    pub fn cursor(&self) -> (usize, usize) {
        (self.row, self.col)
    }

    /// The whole text, lines joined with `\n`.
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    /// Whether nothing (or only whitespace) was typed.
    pub fn is_blank(&self) -> bool {
        self.lines.iter().all(|l| l.trim().is_empty())
    }

    /// Returns the text and empties the buffer.
    pub fn take(&mut self) -> String {
        let text = self.text();
        *self = Self::default();
        text
    }

    pub fn insert_char(&mut self, c: char) {
        if c == '\n' {
            return self.newline();
        }
        let line = &mut self.lines[self.row];
        let at = byte_at(line, self.col);
        line.insert(at, c);
        self.col += 1;
    }

    pub fn insert_str(&mut self, s: &str) {
        for c in s.chars().filter(|&c| c != '\r') {
            self.insert_char(c);
        }
    }

    /// Splits the line at the cursor.
    pub fn newline(&mut self) {
        let line = &mut self.lines[self.row];
        let at = byte_at(line, self.col);
        let rest = line.split_off(at);
        self.row += 1;
        self.lines.insert(self.row, rest);
        self.col = 0;
    }

    /// Deletes the character before the cursor (joining lines at a line start).
    pub fn backspace(&mut self) {
        if self.col > 0 {
            let line = &mut self.lines[self.row];
            let at = byte_at(line, self.col - 1);
            line.remove(at);
            self.col -= 1;
        } else if self.row > 0 {
            let line = self.lines.remove(self.row);
            self.row -= 1;
            self.col = self.lines[self.row].chars().count();
            self.lines[self.row].push_str(&line);
        }
    }

    /// Deletes the character under the cursor (joining the next line at a line end).
    pub fn delete(&mut self) {
        let len = self.lines[self.row].chars().count();
        if self.col < len {
            let line = &mut self.lines[self.row];
            let at = byte_at(line, self.col);
            line.remove(at);
        } else if self.row + 1 < self.lines.len() {
            let next = self.lines.remove(self.row + 1);
            self.lines[self.row].push_str(&next);
        }
    }

    pub fn left(&mut self) {
        if self.col > 0 {
            self.col -= 1;
        } else if self.row > 0 {
            self.row -= 1;
            self.col = self.lines[self.row].chars().count();
        }
    }

    pub fn right(&mut self) {
        if self.col < self.lines[self.row].chars().count() {
            self.col += 1;
        } else if self.row + 1 < self.lines.len() {
            self.row += 1;
            self.col = 0;
        }
    }

    pub fn up(&mut self) {
        if self.row > 0 {
            self.row -= 1;
            self.col = self.col.min(self.lines[self.row].chars().count());
        }
    }

    pub fn down(&mut self) {
        if self.row + 1 < self.lines.len() {
            self.row += 1;
            self.col = self.col.min(self.lines[self.row].chars().count());
        }
    }

    pub fn home(&mut self) {
        self.col = 0;
    }

    pub fn end(&mut self) {
        self.col = self.lines[self.row].chars().count();
    }
}

#[cfg(test)]
mod tests {
    use super::Input;

    #[test]
    fn typing_newlines_and_backspace_across_lines() {
        let mut i = Input::default();
        i.insert_str("fn main");
        i.newline();
        i.insert_str("héllo");
        assert_eq!(i.text(), "fn main\nhéllo");
        assert_eq!(i.cursor(), (1, 5));
        i.home();
        i.backspace(); // joins the lines
        assert_eq!(i.text(), "fn mainhéllo");
        assert_eq!(i.cursor(), (0, 7));
        i.insert_char(' ');
        assert_eq!(i.text(), "fn main héllo");
    }

    #[test]
    fn cursor_moves_and_deletes_multibyte_characters() {
        let mut i = Input::default();
        i.insert_str("aé\nxyz");
        i.up();
        assert_eq!(i.cursor(), (0, 2)); // column clamped to the shorter line
        i.left();
        i.delete();
        assert_eq!(i.text(), "a\nxyz");
        i.end();
        i.delete(); // joins the next line
        assert_eq!(i.text(), "axyz");
        i.right();
        i.right();
        assert_eq!(i.cursor(), (0, 3));
        i.down(); // no line below: stays
        assert_eq!(i.cursor(), (0, 3));
    }

    #[test]
    fn take_empties_and_blank_detection() {
        let mut i = Input::default();
        assert!(i.is_blank());
        i.insert_str("  \n ");
        assert!(i.is_blank());
        i.insert_char('x');
        assert!(!i.is_blank());
        assert_eq!(i.take(), "  \n x");
        assert!(i.is_blank());
        assert_eq!(i.lines().len(), 1);
        assert_eq!(i.cursor(), (0, 0));
    }
}
