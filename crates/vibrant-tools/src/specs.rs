//! The tool descriptions a model is shown: names, what each does, and a JSON schema of its
//! arguments.

use serde::Serialize;
use serde_json::{Value, json};

/// One tool as the model sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolSpec {
    /// The name the model calls.
    pub name: &'static str,
    /// One or two sentences on what it does and when to use it.
    pub description: &'static str,
    /// JSON schema (an object schema) of its arguments.
    pub parameters: Value,
    /// The tool changes files or runs commands (it may need approval).
    pub mutating: bool,
}

impl ToolSpec {
    /// The OpenAI/Qwen function-tool form: `{"type":"function","function":{name,description,parameters}}`.
    pub fn to_function_json(&self) -> Value {
        json!({
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters}
        })
    }
}

impl ToolSpec {
    /// A one-line signature for text prompts:
    /// `read_file(path: string, start_line?: integer, end_line?: integer)`.
    pub fn signature(&self) -> String {
        let required: Vec<&str> = self.parameters["required"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let args: Vec<String> = self.parameters["properties"]
            .as_object()
            .map(|props| {
                props
                    .iter()
                    .map(|(name, schema)| {
                        let ty = schema["type"].as_str().unwrap_or("any");
                        let opt = if required.contains(&name.as_str()) {
                            ""
                        } else {
                            "?"
                        };
                        format!("{name}{opt}: {ty}")
                    })
                    .collect()
            })
            .unwrap_or_default();
        format!("{}({})", self.name, args.join(", "))
    }
}

/// The tools as compact text, one `signature — description` line each, for prompts of models
/// without native tool support (and for counting what the tool list costs in tokens).
pub fn render_tool_list(specs: &[ToolSpec]) -> String {
    specs
        .iter()
        .map(|s| format!("- {} — {}\n", s.signature(), s.description))
        .collect()
}

fn object(props: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": props, "required": required, "additionalProperties": false})
}

/// All tools, in the order they are presented.
pub fn all_specs() -> Vec<ToolSpec> {
    vec![
        ToolSpec {
            name: "read_file",
            description: "Read a text file with line numbers. Use start_line/end_line for long files.",
            parameters: object(
                json!({
                    "path": {"type": "string", "description": "file path relative to the workspace root"},
                    "start_line": {"type": "integer", "minimum": 1, "description": "first line (1-based)"},
                    "end_line": {"type": "integer", "minimum": 1, "description": "last line (inclusive)"}
                }),
                &["path"],
            ),
            mutating: false,
        },
        ToolSpec {
            name: "list_dir",
            description: "List a directory (directories end in /); respects .gitignore.",
            parameters: object(
                json!({
                    "path": {"type": "string", "description": "directory relative to the workspace root (default: the root)"},
                    "depth": {"type": "integer", "minimum": 1, "maximum": 4, "description": "levels to descend (default 1)"}
                }),
                &[],
            ),
            mutating: false,
        },
        ToolSpec {
            name: "glob",
            description: "Find files whose path matches a glob pattern such as **/*.rs or src/**/test_*.py.",
            parameters: object(
                json!({
                    "pattern": {"type": "string", "description": "glob matched against paths relative to the workspace root"},
                    "path": {"type": "string", "description": "directory to search in (default: the root)"}
                }),
                &["pattern"],
            ),
            mutating: false,
        },
        ToolSpec {
            name: "grep",
            description: "Search file contents with a regular expression; prints path:line: text for each match.",
            parameters: object(
                json!({
                    "pattern": {"type": "string", "description": "regular expression (Rust regex syntax)"},
                    "path": {"type": "string", "description": "file or directory to search (default: the root)"},
                    "glob": {"type": "string", "description": "only files matching this glob, e.g. *.py"},
                    "case_insensitive": {"type": "boolean"},
                    "max_results": {"type": "integer", "minimum": 1, "maximum": 500, "description": "default 100"}
                }),
                &["pattern"],
            ),
            mutating: false,
        },
        ToolSpec {
            name: "search",
            description: "Find the code most relevant to a natural-language or identifier query (ranked snippets from the code index).",
            parameters: object(
                json!({
                    "query": {"type": "string"},
                    "limit": {"type": "integer", "minimum": 1, "maximum": 20, "description": "default 5"}
                }),
                &["query"],
            ),
            mutating: false,
        },
        ToolSpec {
            name: "symbols",
            description: "List the definitions (functions, types, methods) in a source file with their line ranges.",
            parameters: object(json!({"path": {"type": "string"}}), &["path"]),
            mutating: false,
        },
        ToolSpec {
            name: "edit_file",
            description: "Replace old_string with new_string in a file. old_string must match the file uniquely (copy it from read_file output, without line numbers); small whitespace or indentation differences are tolerated.",
            parameters: object(
                json!({
                    "path": {"type": "string"},
                    "old_string": {"type": "string", "description": "the exact text to replace"},
                    "new_string": {"type": "string", "description": "the replacement text"},
                    "replace_all": {"type": "boolean", "description": "replace every occurrence (default false)"}
                }),
                &["path", "old_string", "new_string"],
            ),
            mutating: true,
        },
        ToolSpec {
            name: "write_file",
            description: "Create a file, or replace the whole content of a file you have read.",
            parameters: object(
                json!({"path": {"type": "string"}, "content": {"type": "string"}}),
                &["path", "content"],
            ),
            mutating: true,
        },
        ToolSpec {
            name: "apply_patch",
            description: "Apply a patch to one or more files: a unified diff (--- a/path, +++ b/path, @@ hunks) or a *** Begin Patch / *** Update File: path / *** End Patch envelope. All files change or none.",
            parameters: object(json!({"patch": {"type": "string"}}), &["patch"]),
            mutating: true,
        },
        ToolSpec {
            name: "run_command",
            description: "Run a shell command in the workspace (sandboxed: writes only inside the workspace, no network). Use it to build, test and inspect.",
            parameters: object(
                json!({
                    "command": {"type": "string"},
                    "cwd": {"type": "string", "description": "directory relative to the workspace root (default: the root)"},
                    "timeout_secs": {"type": "integer", "minimum": 1, "maximum": 600, "description": "default 120"}
                }),
                &["command"],
            ),
            mutating: true,
        },
        ToolSpec {
            name: "run_tests",
            description: "Run the project's tests with its own tool (cargo, go, npm/pnpm/yarn, pytest, maven, gradle, ctest, make), detected from the files in cwd; returns pass/fail counts, failed tests and compiler errors.",
            parameters: object(
                json!({
                    "filter": {"type": "string", "description": "only tests whose name matches (passed to the tool's filter option)"},
                    "cwd": {"type": "string", "description": "project directory relative to the workspace root (default: the root)"},
                    "timeout_secs": {"type": "integer", "minimum": 1, "maximum": 600}
                }),
                &[],
            ),
            mutating: true,
        },
        ToolSpec {
            name: "run_build",
            description: "Build or type-check the project with its own tool; returns the compiler errors as path:line:col: message.",
            parameters: object(
                json!({
                    "cwd": {"type": "string", "description": "project directory relative to the workspace root (default: the root)"},
                    "timeout_secs": {"type": "integer", "minimum": 1, "maximum": 600}
                }),
                &[],
            ),
            mutating: true,
        },
        ToolSpec {
            name: "git_status",
            description: "Show the git branch and changed files (git status --short --branch).",
            parameters: object(json!({}), &[]),
            mutating: false,
        },
        ToolSpec {
            name: "git_diff",
            description: "Show uncommitted changes as a diff (optionally staged only, or one path).",
            parameters: object(
                json!({"path": {"type": "string"}, "staged": {"type": "boolean"}}),
                &[],
            ),
            mutating: false,
        },
        ToolSpec {
            name: "git_log",
            description: "Show recent commits, one line each (optionally only those touching a path).",
            parameters: object(
                json!({"path": {"type": "string"}, "limit": {"type": "integer", "minimum": 1, "maximum": 100, "description": "default 10"}}),
                &[],
            ),
            mutating: false,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_mark_optional_arguments() {
        let specs = all_specs();
        let read = specs.iter().find(|s| s.name == "read_file").unwrap();
        assert_eq!(
            read.signature(),
            "read_file(path: string, start_line?: integer, end_line?: integer)"
        );
        let git = specs.iter().find(|s| s.name == "git_status").unwrap();
        assert_eq!(git.signature(), "git_status()");
        let list = render_tool_list(&specs);
        assert_eq!(list.lines().count(), specs.len());
        assert!(list.contains("- edit_file(path: string, old_string: string, new_string: string, replace_all?: boolean) — Replace"), "{list}");
    }
}
