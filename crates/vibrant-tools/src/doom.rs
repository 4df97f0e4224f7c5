//! The doom-loop guard: a model that repeats the same call is told to stop.

use serde_json::Value;

/// Records `(tool, arguments)` and stops the `limit`-th identical consecutive call (3 by default),
/// and the call that completes the `limit`-th round of a short cycle (`read a, edit a, read a,
/// edit a, …` with the same arguments each time).
#[derive(Debug, Clone)]
pub struct DoomLoopGuard {
    last: Option<(String, String)>,
    repeats: usize,
    limit: usize,
    /// The most recent calls, newest last (for cycles).
    history: Vec<(String, String)>,
}

/// Cycle lengths watched for besides plain repetition.
const CYCLES: [usize; 2] = [2, 3];

impl Default for DoomLoopGuard {
    fn default() -> Self {
        Self::new(3)
    }
}

impl DoomLoopGuard {
    /// A guard that stops the `limit`-th identical consecutive call (`limit` ≥ 2).
    pub fn new(limit: usize) -> Self {
        DoomLoopGuard {
            last: None,
            repeats: 0,
            limit: limit.max(2),
            history: Vec::new(),
        }
    }

    /// Records a call. Returns a message for the model when this call is the `limit`-th
    /// identical one in a row (it must not be executed); `None` when the call may run.
    /// Argument objects compare regardless of key order.
    pub fn check(&mut self, tool: &str, args: &Value) -> Option<String> {
        let key = (tool.to_owned(), canonical(args));
        if self.last.as_ref() == Some(&key) {
            self.repeats += 1;
        } else {
            self.last = Some(key.clone());
            self.repeats = 1;
        }
        self.history.push(key);
        let keep = CYCLES[CYCLES.len() - 1] * self.limit;
        if self.history.len() > keep {
            self.history.drain(..self.history.len() - keep);
        }
        if self.repeats >= self.limit {
            return Some(format!(
                "stopped: this is call number {} in a row to `{tool}` with the same arguments, and it will give the same result. \
                 Do something different: change the arguments, use another tool, or finish and explain what is blocking you.",
                self.repeats
            ));
        }
        for p in CYCLES {
            let n = p * self.limit;
            if self.history.len() < n {
                continue;
            }
            let tail = &self.history[self.history.len() - n..];
            let distinct = tail[..p].iter().any(|k| k != &tail[0]);
            if distinct && (p..n).all(|i| tail[i] == tail[i - p]) {
                let tools: Vec<&str> = tail[..p].iter().map(|(t, _)| t.as_str()).collect();
                return Some(format!(
                    "stopped: you have made the same {p} calls ({}) {} times in a row with the same arguments, and it changes nothing. \
                     Do something different: read the result you got, change the arguments, or finish and explain what is blocking you.",
                    tools.join(", "),
                    self.limit
                ));
            }
        }
        None
    }

    /// Forgets the history (a new task).
    pub fn reset(&mut self) {
        self.last = None;
        self.repeats = 0;
        self.history.clear();
    }
}

fn canonical(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let inner: Vec<String> = keys
                .iter()
                .map(|k| format!("{:?}:{}", k, canonical(&m[k.as_str()])))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn third_identical_call_is_stopped() {
        let mut g = DoomLoopGuard::default();
        let a = json!({"path": "a.rs", "start_line": 1});
        assert!(g.check("read_file", &a).is_none());
        assert!(
            g.check("read_file", &json!({"start_line": 1, "path": "a.rs"}))
                .is_none()
        );
        let msg = g.check("read_file", &a).unwrap();
        assert!(
            msg.contains("call number 3") && msg.contains("read_file"),
            "{msg}"
        );
        assert!(
            g.check("read_file", &a).is_some(),
            "a fourth repeat is stopped too"
        );
    }

    #[test]
    fn a_repeated_cycle_is_stopped() {
        let mut g = DoomLoopGuard::default();
        let read = json!({"path": "a.py"});
        let edit = json!({"path": "a.py", "old_string": "x", "new_string": "y"});
        for _ in 0..2 {
            assert!(g.check("read_file", &read).is_none());
            assert!(g.check("edit_file", &edit).is_none());
        }
        assert!(g.check("read_file", &read).is_none());
        let msg = g.check("edit_file", &edit).unwrap();
        assert!(
            msg.contains("same 2 calls (read_file, edit_file) 3 times"),
            "{msg}"
        );
        // Reading again after different edits is not a cycle.
        let mut g = DoomLoopGuard::default();
        for i in 0..6 {
            assert!(g.check("read_file", &read).is_none());
            let e = json!({"path": "a.py", "old_string": i.to_string(), "new_string": "z"});
            assert!(g.check("edit_file", &e).is_none());
        }
    }

    #[test]
    fn a_different_call_resets_the_count() {
        let mut g = DoomLoopGuard::default();
        let a = json!({"path": "a.rs"});
        assert!(g.check("read_file", &a).is_none());
        assert!(g.check("read_file", &a).is_none());
        assert!(g.check("list_dir", &json!({})).is_none());
        assert!(g.check("read_file", &a).is_none());
        assert!(g.check("read_file", &a).is_none());
        assert!(g.check("read_file", &json!({"path": "b.rs"})).is_none());
    }
}
