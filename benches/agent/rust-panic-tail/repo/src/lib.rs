//! `tail`-like helpers.

/// The last `n` lines of `text` (all of them when there are fewer).
pub fn last_lines(text: &str, n: usize) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len() - n;
    lines[start..].to_vec()
}

/// The lines of `text` after skipping the first `n` (like `tail -n +N+1`).
pub fn skip_lines(text: &str, n: usize) -> Vec<&str> {
    text.lines().skip(n).collect()
}

/// Parsed command line: `tailr [-n COUNT] FILE`.
#[derive(Debug, PartialEq, Eq)]
pub struct Args {
    pub count: usize,
    pub path: String,
}

pub fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut count = 10;
    let mut path = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == "-n" {
            let value = iter.next().ok_or("-n needs a value")?;
            count = value.parse().map_err(|_| format!("bad count: {value}"))?;
        } else if path.is_none() {
            path = Some(arg.clone());
        } else {
            return Err(format!("unexpected argument: {arg}"));
        }
    }
    Ok(Args { count, path: path.ok_or("missing FILE")? })
}
