//! Attack: the agent started in `~` (or `/`, or a dotfiles repository at `~`) would have every
//! file of the user's in reach of its edits and commands. Such a workspace is refused unless the
//! user allows it explicitly.

#![allow(clippy::unwrap_used)]

use vibrant_tools::{DenyAll, ToolError, Toolbox, ToolboxConfig, broad_root};

fn open(root: &std::path::Path, home: &std::path::Path, allow: bool) -> Result<Toolbox, ToolError> {
    let state = tempfile::tempdir().unwrap();
    let mut cfg = ToolboxConfig::new(root, state.path().join("agent"));
    cfg.home = Some(home.to_path_buf());
    cfg.allow_broad_root = allow;
    Toolbox::new(cfg, Box::new(DenyAll))
}

#[test]
fn the_home_directory_and_above_are_refused_as_workspaces() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home/user");
    let project = home.join("src/project");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(home.join(".bashrc"), "alias ls='ls -la'\n").unwrap();

    for root in [
        home.clone(),
        dir.path().join("home"),
        std::path::PathBuf::from("/"),
    ] {
        let err = open(&root, &home, false).unwrap_err();
        assert!(
            matches!(err, ToolError::BroadWorkspace { .. }),
            "{}: {err}",
            root.display()
        );
        let msg = err.to_string();
        assert!(msg.contains("--allow-broad-workspace"), "{msg}");
    }
    assert!(
        broad_root(&home, Some(&home))
            .unwrap()
            .contains("home directory")
    );
    // An ordinary project inside the home directory is fine, and so is home when allowed.
    assert!(open(&project, &home, false).is_ok());
    assert!(broad_root(&project, Some(&home)).is_none());
    assert!(open(&home, &home, true).is_ok());
    assert_eq!(
        std::fs::read_to_string(home.join(".bashrc")).unwrap(),
        "alias ls='ls -la'\n"
    );
}

#[test]
fn a_link_to_the_home_directory_is_the_home_directory() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let link = dir.path().join("work");
    std::os::unix::fs::symlink(&home, &link).unwrap();
    assert!(matches!(
        open(&link, &home, false).unwrap_err(),
        ToolError::BroadWorkspace { .. }
    ));
}
