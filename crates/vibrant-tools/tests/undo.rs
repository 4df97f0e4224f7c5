//! Checkpoints per turn and undo.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod common;

use common::fixture;
use serde_json::json;

#[test]
fn undo_restores_created_edited_and_deleted_files() {
    let mut f = fixture();
    f.write("edit.txt", "original\n");
    f.write("delete.txt", "keep me\n");
    f.tb.begin_turn("make changes");
    f.ok(
        "edit_file",
        json!({"path": "edit.txt", "old_string": "original", "new_string": "changed"}),
    );
    f.ok(
        "edit_file",
        json!({"path": "edit.txt", "old_string": "changed", "new_string": "changed twice"}),
    );
    f.ok(
        "write_file",
        json!({"path": "src/created.txt", "content": "new\n"}),
    );
    f.ok(
        "apply_patch",
        json!({"patch": "*** Begin Patch\n*** Delete File: delete.txt\n*** End Patch"}),
    );
    assert!(!f.path("delete.txt").exists());
    let cps = f.tb.checkpoints().unwrap();
    assert_eq!(cps.len(), 1, "one checkpoint per turn");
    assert_eq!(cps[0].label, "make changes");
    assert_eq!(cps[0].files.len(), 3);
    // The manifest is plain JSON under the state dir, not in the workspace.
    assert!(f.state.path().join("checkpoints/00000001.json").is_file());
    let report = f.tb.undo(1).unwrap();
    assert_eq!(report.checkpoints, vec![1]);
    assert_eq!(f.read("edit.txt"), "original\n");
    assert_eq!(f.read("delete.txt"), "keep me\n");
    assert!(!f.path("src/created.txt").exists());
    assert_eq!(report.removed, vec!["src/created.txt"]);
    assert!(f.tb.checkpoints().unwrap().is_empty());
    let e = f.tb.undo(1).unwrap_err().to_string();
    assert!(e.contains("nothing to undo"), "{e}");
}

#[test]
fn undo_n_goes_back_several_turns() {
    let mut f = fixture();
    f.write("a.txt", "v0\n");
    for i in 1..=3 {
        f.tb.begin_turn(&format!("turn {i}"));
        f.ok("edit_file", json!({"path": "a.txt", "old_string": format!("v{}", i - 1), "new_string": format!("v{i}")}));
    }
    f.tb.begin_turn("turn 4 (no changes)");
    assert_eq!(
        f.tb.checkpoints().unwrap().len(),
        3,
        "a turn without changes makes no checkpoint"
    );
    f.tb.undo(1).unwrap();
    assert_eq!(f.read("a.txt"), "v2\n");
    f.tb.undo(2).unwrap();
    assert_eq!(f.read("a.txt"), "v0\n");
    let e = f.tb.undo(1).unwrap_err().to_string();
    assert!(e.contains("nothing to undo"), "{e}");
}

#[test]
fn undo_refuses_to_overwrite_user_changes_and_names_the_files() {
    let mut f = fixture();
    f.write("a.txt", "agent will edit\n");
    f.write("b.txt", "b\n");
    f.tb.begin_turn("turn");
    f.ok(
        "edit_file",
        json!({"path": "a.txt", "old_string": "agent will edit", "new_string": "agent edited"}),
    );
    f.ok(
        "edit_file",
        json!({"path": "b.txt", "old_string": "b", "new_string": "B"}),
    );
    f.ok(
        "write_file",
        json!({"path": "c.txt", "content": "created\n"}),
    );
    f.write("a.txt", "the user edited this afterwards\n");
    std::fs::remove_file(f.path("c.txt")).unwrap();
    let e = f.tb.undo(1).unwrap_err().to_string();
    assert!(
        e.contains("undo refused") && e.contains("a.txt (modified since)"),
        "{e}"
    );
    // b.txt is as the agent left it; c.txt, which the agent created, is already gone (as undo
    // would leave it: nothing of the user's to overwrite).
    assert!(!e.contains("b.txt") && !e.contains("c.txt"), "{e}");
    // Nothing was changed by the refused undo.
    assert_eq!(f.read("a.txt"), "the user edited this afterwards\n");
    assert_eq!(f.read("b.txt"), "B\n");
    assert_eq!(f.tb.checkpoints().unwrap().len(), 1);
}

#[cfg(unix)]
#[test]
fn undo_restores_permissions_and_exact_bytes() {
    use std::os::unix::fs::PermissionsExt;
    let mut f = fixture();
    f.write("s.sh", b"\xEF\xBB\xBFecho a\r\n".as_slice());
    std::fs::set_permissions(f.path("s.sh"), std::fs::Permissions::from_mode(0o750)).unwrap();
    f.tb.begin_turn("t");
    f.ok(
        "apply_patch",
        json!({"patch": "*** Begin Patch\n*** Delete File: s.sh\n*** End Patch"}),
    );
    f.tb.undo(1).unwrap();
    assert_eq!(
        std::fs::read(f.path("s.sh")).unwrap(),
        b"\xEF\xBB\xBFecho a\r\n"
    );
    assert_eq!(
        std::fs::metadata(f.path("s.sh"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o750
    );
}

#[test]
fn checkpoints_survive_a_new_toolbox() {
    let mut f = fixture();
    f.write("a.txt", "one\n");
    f.tb.begin_turn("t");
    f.ok(
        "edit_file",
        json!({"path": "a.txt", "old_string": "one", "new_string": "two"}),
    );
    let cfg = vibrant_tools::ToolboxConfig::new(f.ws.path(), f.state.path());
    let mut tb = vibrant_tools::Toolbox::new(cfg, Box::new(vibrant_tools::ApproveAll)).unwrap();
    tb.undo(1).unwrap();
    assert_eq!(f.read("a.txt"), "one\n");
}

#[test]
fn undo_across_turns_refuses_to_lose_a_change_made_between_them() {
    let mut f = fixture();
    f.write("a.txt", "v0\n");
    f.tb.begin_turn("one");
    f.ok(
        "edit_file",
        json!({"path": "a.txt", "old_string": "v0", "new_string": "v1"}),
    );
    // The user edits between the turns; the agent reads the file again and edits on top.
    f.write("a.txt", "v1 user\n");
    f.tb.begin_turn("two");
    f.ok("read_file", json!({"path": "a.txt"}));
    f.ok(
        "edit_file",
        json!({"path": "a.txt", "old_string": "v1 user", "new_string": "v2 user"}),
    );
    let e = f.tb.undo(2).unwrap_err().to_string();
    assert!(
        e.contains("a.txt (changed between checkpoints 1 and 2)"),
        "{e}"
    );
    assert_eq!(f.read("a.txt"), "v2 user\n");
    // Undoing only the last turn keeps the user's change.
    f.tb.undo(1).unwrap();
    assert_eq!(f.read("a.txt"), "v1 user\n");
}

#[test]
fn toolbox_can_move_to_another_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<vibrant_tools::Toolbox>();
}

#[test]
fn prune_keeps_the_newest_checkpoints_and_their_objects() {
    let mut f = fixture();
    f.write("a.txt", "v0\n");
    for i in 1..=4 {
        f.tb.begin_turn(&format!("turn {i}"));
        f.ok("edit_file", json!({"path": "a.txt", "old_string": format!("v{}", i - 1), "new_string": format!("v{i}")}));
    }
    f.tb.undo(1).unwrap(); // back to v3; checkpoint 4 is in undone/
    let objects = || {
        std::fs::read_dir(f.state.path().join("checkpoints/objects"))
            .unwrap()
            .count()
    };
    assert_eq!(objects(), 5, "v0..v4");
    let (manifests, removed) = f.tb.prune_checkpoints(1).unwrap();
    assert_eq!(manifests, 3, "checkpoints 1 and 2, and the undone 4");
    assert_eq!(removed, 3, "v0, v1 and v4 are no longer referred to");
    assert_eq!(objects(), 2);
    assert_eq!(f.tb.checkpoints().unwrap().len(), 1);
    f.tb.undo(1).unwrap();
    assert_eq!(f.read("a.txt"), "v2\n");
}

/// Fault: agents in one repository (several terminals) start turns at the same moment. Each
/// took "the last id + 1", so two could write the same checkpoint and one overwrote the other:
/// its undo was lost. Ids are now claimed with an exclusive create.
#[test]
fn agents_in_one_repository_at_once_get_different_checkpoints() {
    let f = fixture();
    let n = 6;
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let ws = f.ws.path().to_path_buf();
            let state = f.state.path().to_path_buf();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let cfg = vibrant_tools::ToolboxConfig::new(&ws, &state);
                let mut tb =
                    vibrant_tools::Toolbox::new(cfg, Box::new(vibrant_tools::ApproveAll)).unwrap();
                tb.begin_turn(&format!("agent {i}"));
                barrier.wait();
                let r = tb.call(
                    "write_file",
                    &json!({"path": format!("f{i}.txt"), "content": "x\n"}),
                );
                assert!(r.ok, "{}", r.output);
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let cps = f.tb.checkpoints().unwrap();
    let mut ids: Vec<u64> = cps.iter().map(|c| c.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), n, "{cps:?}");
    // Undoing them all removes every file: no agent's checkpoint was lost.
    let mut tb = f.tb;
    tb.undo(n).unwrap();
    for i in 0..n {
        assert!(!f.ws.path().join(format!("f{i}.txt")).exists(), "f{i}.txt");
    }
}
