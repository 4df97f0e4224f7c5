//! The doom-loop guard: a model that repeats the same call is told to stop.

use serde_json::Value;

/// Records `(tool, arguments)` and stops the `limit`-th identical consecutive call (3 by default).
#[derive(Debug, Clone)]
pub struct DoomLoopGuard {
    last: Option<(String, String)>,
    repeats: usize,
    limit: usize,
}

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
            self.last = Some(key);
            self.repeats = 1;
        }
        (self.repeats >= self.limit).then(|| {
            format!(
                "stopped: this is call number {} in a row to `{tool}` with the same arguments, and it will give the same result. \
                 Do something different: change the arguments, use another tool, or finish and explain what is blocking you.",
                self.repeats
            )
        })
    }

    /// Forgets the history (a new task).
    pub fn reset(&mut self) {
        self.last = None;
        self.repeats = 0;
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
