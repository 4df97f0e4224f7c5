#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use vibrant_tools::{
    ApprovalMode, ApprovalRequest, Approver, Decision, ToolResult, Toolbox, ToolboxConfig,
};

/// A workspace, a state dir outside it, and a toolbox over them.
pub struct Fixture {
    pub ws: tempfile::TempDir,
    pub state: tempfile::TempDir,
    pub tb: Toolbox,
    pub asked: Arc<Mutex<Vec<ApprovalRequest>>>,
}

/// Records every request and answers with a fixed decision.
pub struct Recording {
    pub asked: Arc<Mutex<Vec<ApprovalRequest>>>,
    pub answer: Decision,
}

impl Approver for Recording {
    fn approve(&mut self, request: &ApprovalRequest) -> Decision {
        self.asked.lock().unwrap().push(request.clone());
        self.answer.clone()
    }
}

pub fn fixture_with(
    mode: ApprovalMode,
    answer: Decision,
    edit: impl FnOnce(&mut ToolboxConfig),
) -> Fixture {
    let ws = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let mut cfg = ToolboxConfig::new(ws.path(), state.path());
    cfg.approval = mode;
    edit(&mut cfg);
    let asked = Arc::new(Mutex::new(Vec::new()));
    let tb = Toolbox::new(
        cfg,
        Box::new(Recording {
            asked: asked.clone(),
            answer,
        }),
    )
    .unwrap();
    Fixture {
        ws,
        state,
        tb,
        asked,
    }
}

pub fn fixture() -> Fixture {
    fixture_with(ApprovalMode::FullAuto, Decision::Approve, |_| {})
}

impl Fixture {
    pub fn path(&self, rel: &str) -> std::path::PathBuf {
        self.ws.path().join(rel)
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    pub fn call(&mut self, name: &str, args: Value) -> ToolResult {
        self.tb.call(name, &args)
    }

    /// Calls and asserts success.
    pub fn ok(&mut self, name: &str, args: Value) -> String {
        let r = self.tb.call(name, &args);
        assert!(r.ok, "{name} {args} failed: {}", r.output);
        r.output
    }

    /// Calls and asserts failure.
    pub fn fail(&mut self, name: &str, args: Value) -> String {
        let r = self.tb.call(name, &args);
        assert!(
            !r.ok,
            "{name} {args} should have failed but returned: {}",
            r.output
        );
        r.output
    }
}

pub fn exists(p: &Path) -> bool {
    p.symlink_metadata().is_ok()
}
