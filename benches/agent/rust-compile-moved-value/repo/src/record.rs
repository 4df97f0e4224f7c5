/// One log line: `<level> <message> [#tag ...]`, e.g. `WARN disk almost full #disk #ops`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub level: String,
    pub message: String,
    pub tags: Vec<String>,
}

/// Parses one line; `None` for a blank line.
pub fn parse_line(line: &str) -> Option<Record> {
    let mut words = line.split_whitespace();
    let level = words.next()?.to_ascii_uppercase();
    let mut message = Vec::new();
    let mut tags = Vec::new();
    for word in words {
        match word.strip_prefix('#') {
            Some(tag) if !tag.is_empty() => tags.push(tag.to_lowercase()),
            _ => message.push(word),
        }
    }
    Some(Record { level, message: message.join(" "), tags })
}
