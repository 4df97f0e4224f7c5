//! `vibrant config get|set|unset|list|path`: read and change configuration.

use std::io::Write;

use anyhow::{Result, bail};
use vibrant_config::{Origin, Scope, display_value, edit};

use crate::commands::Context;
use crate::output::{Style, paint};

#[derive(Debug, clap::Subcommand)]
pub enum ConfigCommand {
    /// Print the effective value of a key (after every layer is applied).
    Get {
        /// The dotted key, e.g. generation.temperature.
        key: String,
        /// Also say which layer the value came from.
        #[arg(long)]
        show_origin: bool,
    },
    /// Set a key in the user config file (or the project file with --project).
    Set {
        /// The dotted key, e.g. generation.temperature.
        key: String,
        /// The value, checked against the key's type.
        value: String,
        /// Write to the project file (.vibrant/config.toml) instead of the user file.
        #[arg(long)]
        project: bool,
    },
    /// Remove a key from the user config file (or the project file with --project).
    Unset {
        /// The dotted key.
        key: String,
        /// Remove it from the project file instead of the user file.
        #[arg(long)]
        project: bool,
    },
    /// Print every key with its effective value.
    List {
        /// Also say which layer each value came from.
        #[arg(long)]
        show_origin: bool,
        /// Print JSON: {"key": {"value": …, "origin": "…"}}.
        #[arg(long)]
        json: bool,
    },
    /// Print the path of the user config file (or the project file with --project).
    Path {
        /// Print the project file's path (the nearest one, or where `set --project` would create it).
        #[arg(long)]
        project: bool,
    },
}

pub fn run(ctx: &Context, command: ConfigCommand) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let color = ctx.color.stdout;
    match command {
        ConfigCommand::Get { key, show_origin } => {
            let explained = ctx.config()?.explain(&key)?;
            let Some(value) = explained.value else {
                bail!("`{key}` is not set\nhint: set it with `vibrant config set {key} VALUE`");
            };
            if show_origin {
                writeln!(out, "{}\t{}", display_value(&value), explained.origin)?;
            } else {
                writeln!(out, "{}", display_value(&value))?;
            }
        }
        ConfigCommand::Set {
            key,
            value,
            project,
        } => {
            let (path, scope) = target(ctx, project)?;
            let written = edit::set(&path, scope, &key, &value)?;
            note(ctx, &format!("set {key} = {written} in {}", path.display()))?;
        }
        ConfigCommand::Unset { key, project } => {
            let (path, _) = target(ctx, project)?;
            if edit::unset(&path, &key)? {
                note(ctx, &format!("removed {key} from {}", path.display()))?;
            } else {
                note(ctx, &format!("{key} was not set in {}", path.display()))?;
            }
        }
        ConfigCommand::List { show_origin, json } => {
            let config = ctx.config()?;
            if json {
                let mut map = serde_json::Map::new();
                for e in config.entries() {
                    let value = e.value.as_ref().map_or(serde_json::Value::Null, to_json);
                    let entry =
                        serde_json::json!({ "value": value, "origin": e.origin.to_string() });
                    map.insert(e.spec.name.to_owned(), entry);
                }
                serde_json::to_writer_pretty(&mut out, &map)?;
                writeln!(out)?;
                return Ok(());
            }
            for e in config.entries() {
                let value = match &e.value {
                    Some(v) => v.clone().decorated("", "").to_string(),
                    None => paint(color, Style::Dim, "(unset)"),
                };
                let key = paint(color, Style::Cyan, e.spec.name);
                if show_origin {
                    let origin = paint(
                        color && e.origin == Origin::Default,
                        Style::Dim,
                        &e.origin.to_string(),
                    );
                    writeln!(out, "{key} = {value}\t# {origin}")?;
                } else {
                    writeln!(out, "{key} = {value}")?;
                }
            }
        }
        ConfigCommand::Path { project } => {
            let (path, _) = target(ctx, project)?;
            writeln!(out, "{}", path.display())?;
        }
    }
    Ok(())
}

/// A TOML value as JSON (`config list --json`).
fn to_json(value: &vibrant_config::toml_edit::Value) -> serde_json::Value {
    use vibrant_config::toml_edit::Value;
    match value {
        Value::String(s) => s.value().as_str().into(),
        Value::Integer(i) => (*i.value()).into(),
        Value::Float(f) => (*f.value()).into(),
        Value::Boolean(b) => (*b.value()).into(),
        Value::Datetime(d) => d.value().to_string().into(),
        Value::Array(a) => a.iter().map(to_json).collect(),
        Value::InlineTable(t) => t.iter().map(|(k, v)| (k.to_owned(), to_json(v))).collect(),
    }
}

/// A confirmation for people, on stderr (silenced by -q).
fn note(ctx: &Context, message: &str) -> Result<()> {
    if ctx.global.quiet == 0 {
        writeln!(std::io::stderr(), "{message}")?;
    }
    Ok(())
}

fn target(ctx: &Context, project: bool) -> Result<(std::path::PathBuf, Scope)> {
    Ok(if project {
        (ctx.loader.project_file_for_writing(), Scope::Project)
    } else {
        (ctx.loader.user_file()?, Scope::User)
    })
}
