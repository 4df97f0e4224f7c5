use std::path::{Path, PathBuf};

use crate::*;

/// A sandbox: a home directory with the XDG layout, and a project with a nested working dir.
struct Sandbox {
    _dir: tempfile::TempDir,
    home: PathBuf,
    project: PathBuf,
    cwd: PathBuf,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let project = dir.path().join("work/project");
        let cwd = project.join("src/deep");
        std::fs::create_dir_all(&cwd).unwrap();
        std::fs::create_dir_all(&home).unwrap();
        Self {
            _dir: dir,
            home,
            project,
            cwd,
        }
    }

    fn user_file(&self) -> PathBuf {
        self.home.join(".config/vibrant/config.toml")
    }

    fn project_file(&self) -> PathBuf {
        self.project.join(".vibrant/config.toml")
    }

    fn write(&self, path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn loader(&self, env: &[(&str, &str)]) -> Loader {
        Loader::new()
            .dirs(PlatformDirs::under_home(&self.home))
            .cwd(&self.cwd)
            .env(env.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    fn load(&self, env: &[(&str, &str)]) -> LoadedConfig {
        self.loader(env).load().unwrap()
    }

    fn load_err(&self, env: &[(&str, &str)]) -> String {
        self.loader(env).load().unwrap_err().to_string()
    }
}

#[test]
fn defaults_and_platform_paths() {
    let sb = Sandbox::new();
    let c = sb.load(&[]);
    assert_eq!(c.model.context_length, 4096);
    assert_eq!(c.model.default, None);
    assert_eq!(c.engine.threads, None);
    assert_eq!(c.engine.kernels, KernelChoice::Auto);
    assert_eq!(c.generation.temperature, 0.2);
    assert_eq!(c.generation.top_k, 40);
    assert_eq!(c.generation.top_p, 0.95);
    assert_eq!(c.generation.min_p, 0.05);
    assert_eq!(c.generation.repeat_penalty, 1.0);
    assert_eq!(c.generation.max_tokens, 1024);
    assert_eq!(c.generation.seed, None);
    assert_eq!(c.backend.kind, BackendKind::Embedded);
    assert_eq!(c.ui.color, ColorChoice::Auto);
    assert_eq!(c.log.level, "warn");
    let data = sb.home.join(".local/share/vibrant");
    assert_eq!(c.paths.data_dir.as_deref(), Some(data.as_path()));
    assert_eq!(c.paths.models_dir, Some(data.join("models")));
    assert_eq!(c.paths.cache_dir, Some(sb.home.join(".cache/vibrant")));
    assert_eq!(
        c.paths.state_dir,
        Some(sb.home.join(".local/state/vibrant"))
    );
    assert!(c.entries().all(|e| e.origin == Origin::Default));
    assert_eq!(c.user_file, None);
    assert_eq!(c.project_file, None);
    assert!(c.warnings.is_empty());
}

#[test]
fn precedence_defaults_user_project_env_flag() {
    let sb = Sandbox::new();
    sb.write(
        &sb.user_file(),
        "[generation]\ntemperature = 0.3\ntop_k = 10\nmax_tokens = 100\nseed = 7\n",
    );
    sb.write(
        &sb.project_file(),
        "[generation]\ntemperature = 0.4\ntop_k = 20\nmax_tokens = 200\n",
    );
    let env = [
        ("VIBRANT_GENERATION_TEMPERATURE", "0.5"),
        ("VIBRANT_GENERATION_TOP_K", "30"),
    ];
    let user = Origin::File {
        scope: Scope::User,
        path: sb.user_file(),
    };
    let project = Origin::File {
        scope: Scope::Project,
        path: sb.project_file(),
    };
    let env_origin = |v: &str| Origin::Env { var: v.to_owned() };

    let c = sb
        .loader(&env)
        .set_override("generation.temperature", "0.6", "--temperature")
        .load()
        .unwrap();
    let origin = |k: &str| c.explain(k).unwrap().origin;
    assert_eq!(c.generation.temperature, 0.6, "flag beats env");
    assert_eq!(
        origin("generation.temperature"),
        Origin::Flag {
            flag: "--temperature".into()
        }
    );
    assert_eq!(c.generation.top_k, 30, "env beats project");
    assert_eq!(
        origin("generation.top_k"),
        env_origin("VIBRANT_GENERATION_TOP_K")
    );
    assert_eq!(c.generation.max_tokens, 200, "project beats user");
    assert_eq!(origin("generation.max_tokens"), project);
    assert_eq!(c.generation.seed, Some(7), "user beats default");
    assert_eq!(origin("generation.seed"), user);
    assert_eq!(c.generation.min_p, 0.05);
    assert_eq!(origin("generation.min_p"), Origin::Default);
    assert_eq!(c.user_file.as_deref(), Some(sb.user_file().as_path()));
    assert_eq!(c.project_file.as_deref(), Some(sb.project_file().as_path()));

    // Peel the layers off one at a time.
    let c = sb.load(&env);
    assert_eq!(c.generation.temperature, 0.5);
    assert_eq!(
        c.explain("generation.temperature").unwrap().origin,
        env_origin("VIBRANT_GENERATION_TEMPERATURE")
    );
    let c = sb.load(&[]);
    assert_eq!(c.generation.temperature, 0.4);
    std::fs::remove_file(sb.project_file()).unwrap();
    let c = sb.load(&[]);
    assert_eq!(c.generation.temperature, 0.3);
    assert_eq!(c.explain("generation.temperature").unwrap().origin, user);
    std::fs::remove_file(sb.user_file()).unwrap();
    assert_eq!(sb.load(&[]).generation.temperature, 0.2);
}

#[test]
fn nearest_project_file_wins_and_user_file_location_can_be_overridden() {
    let sb = Sandbox::new();
    sb.write(
        &sb.project.join("../.vibrant/config.toml"),
        "[model]\ncontext_length = 1000\n",
    );
    assert_eq!(
        sb.load(&[]).model.context_length,
        1000,
        "found two levels above the cwd's parent"
    );
    sb.write(&sb.project_file(), "[model]\ncontext_length = 2000\n");
    assert_eq!(sb.load(&[]).model.context_length, 2000, "the nearest one");

    let alt = sb.home.join("alt.toml");
    let flag = sb.home.join("flag.toml");
    sb.write(&alt, "[log]\nlevel = \"debug\"\n");
    sb.write(&flag, "[log]\nlevel = \"trace\"\n");
    sb.write(&sb.user_file(), "[log]\nlevel = \"info\"\n");
    assert_eq!(sb.load(&[]).log.level, "info");
    let env = [("VIBRANT_CONFIG", alt.to_str().unwrap())];
    assert_eq!(
        sb.load(&env).log.level,
        "debug",
        "VIBRANT_CONFIG replaces the user file"
    );
    let c = sb.loader(&env).config_file(&flag).load().unwrap();
    assert_eq!(c.log.level, "trace", "--config beats VIBRANT_CONFIG");

    let missing = sb
        .loader(&[])
        .config_file(sb.home.join("nope.toml"))
        .load()
        .unwrap();
    assert!(
        missing.warnings[0].contains("nope.toml"),
        "{:?}",
        missing.warnings
    );
}

#[test]
fn unknown_key_names_file_line_key_and_suggestion() {
    let sb = Sandbox::new();
    sb.write(
        &sb.user_file(),
        "# mine\n[generation]\ntop_k = 5\ntemprature = 0.5\n",
    );
    let err = sb.load_err(&[]);
    let file = sb.user_file().display().to_string();
    assert!(err.contains(&format!("{file}:4")), "{err}");
    assert!(
        err.contains("unknown config key `generation.temprature`"),
        "{err}"
    );
    assert!(
        err.contains("did you mean `generation.temperature`"),
        "{err}"
    );

    sb.write(&sb.user_file(), "temperature = 0.5\n");
    let err = sb.load_err(&[]);
    assert!(
        err.contains("unknown config key `temperature`; did you mean `generation.temperature`"),
        "{err}"
    );

    sb.write(&sb.user_file(), "[modle]\ndefault = \"x\"\n");
    let err = sb.load_err(&[]);
    assert!(
        err.contains(&format!("{file}:1: unknown config key `modle`")),
        "{err}"
    );
}

#[test]
fn wrong_types_name_file_key_and_expected_type() {
    let sb = Sandbox::new();
    let file = sb.project_file();
    let cases = [
        (
            "[model]\ncontext_length = \"big\"\n",
            "model.context_length",
            "must be an integer from 0 to 4294967295, found a string (\"big\")",
        ),
        (
            "[model]\ncontext_length = -1\n",
            "model.context_length",
            "found an integer (-1)",
        ),
        (
            "[generation]\ntemperature = \"hot\"\n",
            "generation.temperature",
            "must be a number",
        ),
        (
            "[engine]\nkernels = \"sse9\"\n",
            "engine.kernels",
            "must be one of \"auto\", \"scalar\", \"avx2\", \"avx512\", \"neon\", \"neondot\", found a string (\"sse9\")",
        ),
        (
            "[model]\nsearch_paths = \"/models\"\n",
            "model.search_paths",
            "must be an array of paths (strings)",
        ),
        (
            "[model.default]\nname = 1\n",
            "model.default",
            "must be a string, found table",
        ),
        ("model = 3\n", "model", "must be a table ([model])"),
        (
            "[generation]\ntop_p = 1.5\n",
            "generation.top_p",
            "must be between 0 and 1, found 1.5",
        ),
        (
            "[generation]\nmax_tokens = 0\n",
            "generation.max_tokens",
            "must be at least 1",
        ),
    ];
    for (text, key, expected) in cases {
        sb.write(&file, text);
        let err = sb.load_err(&[]);
        assert!(err.contains(&file.display().to_string()), "{text}: {err}");
        assert!(err.contains(&format!("`{key}`")), "{text}: {err}");
        assert!(err.contains(expected), "{text}: {err}");
    }
}

#[test]
fn malformed_and_unreadable_files_are_errors_naming_the_file() {
    let sb = Sandbox::new();
    sb.write(&sb.user_file(), "[generation\ntemperature = 0.5\n");
    let err = sb.load_err(&[]);
    assert!(err.contains(&sb.user_file().display().to_string()), "{err}");
    assert!(err.contains("not valid TOML"), "{err}");
    assert!(err.contains("line 1"), "{err}");

    // A directory where the file should be cannot be read, even by root.
    std::fs::remove_file(sb.user_file()).unwrap();
    std::fs::create_dir_all(sb.user_file()).unwrap();
    let err = sb.loader(&[]).load().unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }));
    assert!(
        err.to_string()
            .contains(&sb.user_file().display().to_string()),
        "{err}"
    );
}

#[test]
fn environment_variables_are_typed_and_misspellings_warned() {
    let sb = Sandbox::new();
    let err = sb.load_err(&[("VIBRANT_MODEL_CONTEXT_LENGTH", "lots")]);
    assert_eq!(
        err,
        "environment variable VIBRANT_MODEL_CONTEXT_LENGTH: `model.context_length` must be an integer \
         from 0 to 4294967295, found \"lots\""
    );
    let c = sb.load(&[
        ("VIBRANT_GENERATION_TEMPERTURE", "1"),
        ("VIBRANT_ENGINE_KERNELS", "AVX2"),
        ("VIBRANT_GENERATION_SEED", "42"),
        ("VIBRANT_MODEL_SEARCH_PATHS", "/a:/b"),
        ("VIBRANT_UNRELATED_THING", "x"),
    ]);
    assert_eq!(c.engine.kernels, KernelChoice::Avx2);
    assert_eq!(c.generation.seed, Some(42));
    assert_eq!(
        c.model.search_paths,
        [PathBuf::from("/a"), PathBuf::from("/b")]
    );
    assert_eq!(
        c.warnings,
        [
            "ignoring unknown environment variable VIBRANT_GENERATION_TEMPERTURE; did you mean \
          VIBRANT_GENERATION_TEMPERATURE?"
        ]
    );
}

#[test]
fn kernel_choice_names_every_level_including_aarch64() {
    use std::str::FromStr;
    for (text, want) in [
        ("auto", KernelChoice::Auto),
        ("scalar", KernelChoice::Scalar),
        ("avx2", KernelChoice::Avx2),
        ("avx512", KernelChoice::Avx512),
        ("neon", KernelChoice::Neon),
        ("NeonDot", KernelChoice::NeonDot),
    ] {
        assert_eq!(KernelChoice::from_str(text), Ok(want));
        assert_eq!(KernelChoice::from_str(want.as_str()), Ok(want));
    }
    let sb = Sandbox::new();
    let c = sb.load(&[("VIBRANT_ENGINE_KERNELS", "neondot")]);
    assert_eq!(c.engine.kernels, KernelChoice::NeonDot);
}

#[test]
fn path_keys_have_short_env_names_and_models_dir_follows_data_dir() {
    let sb = Sandbox::new();
    let c = sb.load(&[
        ("VIBRANT_DATA_DIR", "/srv/vibrant"),
        ("VIBRANT_CACHE_DIR", "/tmp/vc"),
    ]);
    assert_eq!(c.paths.data_dir, Some(PathBuf::from("/srv/vibrant")));
    assert_eq!(
        c.paths.models_dir,
        Some(PathBuf::from("/srv/vibrant/models"))
    );
    assert_eq!(c.paths.cache_dir, Some(PathBuf::from("/tmp/vc")));
    assert_eq!(
        c.explain("paths.data_dir").unwrap().origin,
        Origin::Env {
            var: "VIBRANT_DATA_DIR".into()
        }
    );
    let c = sb.load(&[("VIBRANT_DATA_DIR", "/a"), ("VIBRANT_PATHS_DATA_DIR", "/b")]);
    assert_eq!(
        c.paths.data_dir,
        Some(PathBuf::from("/b")),
        "the canonical name wins"
    );
}

#[test]
fn project_files_cannot_redirect_credentials_or_files() {
    let sb = Sandbox::new();
    sb.write(
        &sb.project_file(),
        "[backend]\nurl = \"https://evil.example\"\n",
    );
    let err = sb.load_err(&[]);
    assert!(
        err.contains("`backend.url` cannot be set in a project file"),
        "{err}"
    );
    assert!(
        err.contains(&sb.project_file().display().to_string()),
        "{err}"
    );
    sb.write(&sb.project_file(), "[paths]\nmodels_dir = \"/tmp\"\n");
    assert!(sb.load_err(&[]).contains("VIBRANT_MODELS_DIR"));
    // The same keys are fine in the user file.
    std::fs::remove_file(sb.project_file()).unwrap();
    sb.write(&sb.user_file(), "[backend]\nkind = \"openai\"\nurl = \"http://localhost:8080/v1\"\napi_key_env = \"OPENAI_API_KEY\"\n");
    let c = sb.load(&[]);
    assert_eq!(c.backend.kind, BackendKind::Openai);
    assert_eq!(c.backend.api_key_env.as_deref(), Some("OPENAI_API_KEY"));
    sb.write(
        &sb.user_file(),
        "[backend]\napi_key_env = \"sk-abc123-not-a-name\"\n",
    );
    assert!(sb.load_err(&[]).contains("not the key itself"));
    // The idle timeout of remote backends: user only (a cloned repository cannot make a stalled
    // server hang Vibrant), at least one second.
    sb.write(&sb.user_file(), "[backend]\nidle_timeout = 30\n");
    assert_eq!(sb.load(&[]).backend.idle_timeout, 30);
    sb.write(&sb.user_file(), "[backend]\nidle_timeout = 0\n");
    assert!(sb.load_err(&[]).contains("backend.idle_timeout"));
    std::fs::remove_file(sb.user_file()).unwrap();
    assert_eq!(sb.load(&[]).backend.idle_timeout, 120);
    sb.write(&sb.project_file(), "[backend]\nidle_timeout = 999999\n");
    let err = sb.load_err(&[]);
    assert!(err.contains("backend.idle_timeout"), "{err}");
}

#[test]
fn flags_are_checked_like_everything_else() {
    let sb = Sandbox::new();
    let err = sb
        .loader(&[])
        .set_override("ui.color", "sometimes", "--color")
        .load()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "command-line flag --color: `ui.color` must be one of \"auto\", \"always\", \"never\", found \"sometimes\""
    );
    let err = sb
        .loader(&[])
        .set_assignment("generation.temp=1")
        .unwrap()
        .load()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("unknown config key `generation.temp`"),
        "{err}"
    );
    assert!(sb.loader(&[]).set_assignment("no-equals").is_err());
    let c = sb
        .loader(&[])
        .set_assignment("model.default=qwen2.5-coder-1.5b")
        .unwrap()
        .load()
        .unwrap();
    assert_eq!(c.model.default.as_deref(), Some("qwen2.5-coder-1.5b"));
}

const COMMENTED: &str = "\
# My Vibrant settings
[generation]
temperature = 0.5   # a bit creative
top_k = 40

# where things live
[model]
context_length = 8192
";

#[test]
fn set_keeps_comments_and_layout() {
    let sb = Sandbox::new();
    let path = sb.user_file();
    sb.write(&path, COMMENTED);
    let value = edit::set(&path, Scope::User, "generation.temperature", "0.7").unwrap();
    assert_eq!(display_value(&value), "0.7");
    edit::set(&path, Scope::User, "model.default", "qwen").unwrap();
    edit::set(&path, Scope::User, "ui.color", "never").unwrap();
    let after = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        after,
        "\
# My Vibrant settings
[generation]
temperature = 0.7   # a bit creative
top_k = 40

# where things live
[model]
context_length = 8192
default = \"qwen\"

[ui]
color = \"never\"
"
    );
    let c = sb.load(&[]);
    assert_eq!(c.generation.temperature, 0.7);
    assert_eq!(c.ui.color, ColorChoice::Never);

    assert!(edit::unset(&path, "model.default").unwrap());
    assert!(
        !edit::unset(&path, "model.default").unwrap(),
        "already gone"
    );
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(after.contains("temperature = 0.7   # a bit creative\n"));
    assert!(!after.contains("default"));
}

#[test]
fn set_creates_missing_files_and_refuses_bad_values_without_writing() {
    let sb = Sandbox::new();
    let path = sb.user_file();
    edit::set(
        &path,
        Scope::User,
        "model.search_paths",
        "[\"~/models\", \"/opt/m\"]",
    )
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "[model]\nsearch_paths = [\"~/models\", \"/opt/m\"]\n"
    );
    assert_eq!(
        sb.load(&[]).model.search_paths,
        [sb.home.join("models"), PathBuf::from("/opt/m")]
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o644
        );
    }
    let before = std::fs::read(&path).unwrap();
    let err = edit::set(&path, Scope::User, "model.context_length", "huge")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "command-line argument: `model.context_length` must be an integer from 0 to 4294967295, found \"huge\""
    );
    let err = edit::set(
        &path,
        Scope::User,
        "generation.seed",
        "18446744073709551615",
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("must be an integer from 0 to 9223372036854775807"),
        "{err}"
    );
    let err = edit::set(&path, Scope::User, "generation.top_p", "2")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`generation.top_p` must be between 0 and 1"),
        "{err}"
    );
    let err = edit::set(&path, Scope::User, "generation.temprature", "2")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("did you mean `generation.temperature`"),
        "{err}"
    );
    let err = edit::set(
        &sb.project_file(),
        Scope::Project,
        "backend.api_key_env",
        "KEY",
    )
    .unwrap_err();
    assert!(matches!(err, ConfigError::UserOnly { .. }), "{err}");
    assert!(!sb.project_file().exists());
    assert_eq!(std::fs::read(&path).unwrap(), before, "nothing written");
    edit::set(&path, Scope::User, "generation.seed", "9223372036854775807").unwrap();
    assert_eq!(
        sb.load(&[]).generation.seed,
        Some(9_223_372_036_854_775_807)
    );
}

#[test]
fn set_leaves_malformed_or_invalid_files_untouched_and_unset_repairs_them() {
    let sb = Sandbox::new();
    let path = sb.user_file();
    sb.write(&path, "[generation\ntemperature = 0.5\n");
    let err = edit::set(&path, Scope::User, "generation.top_k", "3").unwrap_err();
    assert!(matches!(err, ConfigError::Parse { .. }), "{err}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "[generation\ntemperature = 0.5\n"
    );

    let text = "[generation]\ntop_kk = 3 # typo\ntop_p = 0.9\n";
    sb.write(&path, text);
    let err = edit::set(&path, Scope::User, "generation.temperature", "1")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!(
            "{}:2: unknown config key `generation.top_kk`",
            path.display()
        )),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    // The mistyped key can be removed with the CLI, and then set works.
    assert!(edit::unset(&path, "generation.top_kk").unwrap());
    edit::set(&path, Scope::User, "generation.temperature", "1").unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "[generation]\ntop_p = 0.9\ntemperature = 1.0\n"
    );
    // A bad value at the key being set is fixed by setting it.
    sb.write(&path, "[generation]\ntop_k = \"many\"\n");
    edit::set(&path, Scope::User, "generation.top_k", "5").unwrap();
    assert_eq!(sb.load(&[]).generation.top_k, 5);
    assert!(
        edit::unset(&path, "generation.nope").is_err(),
        "unknown and absent"
    );
}

#[cfg(unix)]
#[test]
fn set_is_atomic_and_keeps_permissions_and_symlinks() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    let real = sb.home.join("dotfiles/vibrant.toml");
    sb.write(&real, "[ui]\ncolor = \"always\"\n");
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
    let link = sb.user_file();
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();

    edit::set(&link, Scope::User, "ui.color", "never").unwrap();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "link kept"
    );
    assert_eq!(
        std::fs::read_to_string(&real).unwrap(),
        "[ui]\ncolor = \"never\"\n"
    );
    assert_eq!(
        std::fs::metadata(&real).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let leftovers: Vec<_> = std::fs::read_dir(real.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "vibrant.toml")
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary files left behind: {leftovers:?}"
    );
}

#[test]
fn every_key_round_trips_its_default_and_has_a_unique_env_var() {
    let mut names = std::collections::BTreeSet::new();
    let mut vars = std::collections::BTreeSet::new();
    for spec in KEYS {
        assert!(names.insert(spec.name), "duplicate key {}", spec.name);
        assert!(
            vars.insert(spec.env_var()),
            "duplicate env var {}",
            spec.env_var()
        );
        if let Some(alias) = spec.env_alias {
            assert!(vars.insert(alias.to_owned()), "duplicate env var {alias}");
        }
        assert!(!spec.doc.trim().is_empty(), "{} has no doc", spec.name);
        if let Some(default) = spec.default_value() {
            let text = display_value(&default);
            let parsed = spec
                .parse_text(&text, Location::Argument)
                .unwrap_or_else(|e| panic!("{}: {e}", spec.name));
            assert_eq!(display_value(&parsed), text, "{}", spec.name);
        }
    }
    assert_eq!(
        key_spec("generation.temperature").unwrap().env_var(),
        "VIBRANT_GENERATION_TEMPERATURE"
    );
}

#[test]
fn the_configuration_spec_documents_every_key() {
    let spec =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs/configuration.md");
    let text = std::fs::read_to_string(&spec).unwrap();
    for key in KEYS {
        assert!(
            text.contains(&format!("`{}`", key.name)),
            "specs/configuration.md lacks `{}`",
            key.name
        );
        let var = key.preferred_env_var();
        assert!(text.contains(&var), "specs/configuration.md lacks {var}");
    }
}

#[test]
fn the_typed_config_round_trips_through_serde_and_rejects_unknown_fields() {
    let config = Config::default();
    let json = serde_json::to_string(&config).unwrap();
    assert_eq!(serde_json::from_str::<Config>(&json).unwrap(), config);
    let partial: Config = serde_json::from_str(r#"{"generation":{"top_k":3}}"#).unwrap();
    assert_eq!(partial.generation.top_k, 3);
    assert_eq!(partial.generation.temperature, 0.2);
    assert!(serde_json::from_str::<Config>(r#"{"generation":{"temprature":1}}"#).is_err());
}
