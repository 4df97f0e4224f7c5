//! Capping tool output for a small context window: keep the head and the tail.

/// Keeps at most `max_chars` characters of `text`: the head and the tail, with a line saying
/// how much was left out in between. Cuts fall on line boundaries where possible.
pub fn cap_head_tail(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let head_budget = max_chars * 2 / 5;
    let tail_budget = max_chars - head_budget;
    let head_end = floor_char(text, head_budget);
    let head_end = text[..head_end]
        .rfind('\n')
        .map(|i| i + 1)
        .filter(|&i| i > head_end / 2)
        .unwrap_or(head_end);
    let tail_start = ceil_char(text, text.len().saturating_sub(tail_budget));
    let tail_start = text[tail_start..]
        .find('\n')
        .map(|i| tail_start + i + 1)
        .filter(|&i| i < text.len() && i - tail_start < tail_budget / 2)
        .unwrap_or(tail_start);
    let omitted = &text[head_end..tail_start];
    format!(
        "{}[... {} lines ({} bytes) omitted ...]\n{}",
        &text[..head_end],
        omitted.matches('\n').count(),
        omitted.len(),
        &text[tail_start..]
    )
}

fn floor_char(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_untouched() {
        assert_eq!(cap_head_tail("abc\n", 10), "abc\n");
    }

    #[test]
    fn long_text_keeps_head_and_tail() {
        let text: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        let out = cap_head_tail(&text, 400);
        assert!(out.starts_with("line 0\n"));
        assert!(out.ends_with("line 999\n"));
        assert!(out.contains("omitted"));
        assert!(out.len() < 500, "{}", out.len());
    }

    #[test]
    fn multibyte_text_is_cut_on_char_boundaries() {
        let text = "é".repeat(1000);
        let out = cap_head_tail(&text, 100);
        assert!(out.contains("omitted"));
    }
}
