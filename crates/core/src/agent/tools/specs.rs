//! The tools as the model sees them: names, descriptions and argument schemas.

use std::sync::LazyLock;

use serde_json::json;

use super::ToolSpec;

/// Every tool, in the order of [`crate::definition::TOOL_NAMES`]. Built once: every model
/// call sends them.
pub fn specs() -> &'static [ToolSpec] {
    static SPECS: LazyLock<Vec<ToolSpec>> = LazyLock::new(build);
    &SPECS
}

fn build() -> Vec<ToolSpec> {
    vec![
        ToolSpec {
            name: "read",
            description: "Read a text file in the work directory. Returns the lines with their \
                line numbers (`     1\\t...`), up to 2000 lines at a time; for longer files the \
                output says how to read on with `offset`. Refuses directories (use list) and \
                binary files. Read a file before editing it.",
            parameters: object(
                json!({
                    "path": {"type": "string", "description": "File path, relative to the work directory (absolute paths must be inside it)."},
                    "offset": {"type": "integer", "minimum": 1, "description": "1-based line number to start from. Default 1."},
                    "limit": {"type": "integer", "minimum": 1, "description": "How many lines to return. Default 2000."}
                }),
                &["path"],
            ),
        },
        ToolSpec {
            name: "list",
            description: "List the entries of a directory in the work directory, sorted, with \
                a trailing `/` on directories. Skips `.git`.",
            parameters: object(
                json!({
                    "path": {"type": "string", "description": "Directory path, relative to the work directory. Default `.` (the work directory itself)."}
                }),
                &[],
            ),
        },
        ToolSpec {
            name: "glob",
            description: "Find files whose path matches a glob pattern, such as `**/*.rs` or \
                `src/**/test_*.py`. `*` matches within one directory, `**` across directories, \
                `{a,b}` either. Skips `.git` and files ignored by `.gitignore`. Returns \
                workspace-relative paths, sorted, at most 1000.",
            parameters: object(
                json!({
                    "pattern": {"type": "string", "description": "Glob matched against paths relative to `path`."},
                    "path": {"type": "string", "description": "Directory to search under. Default `.` (the work directory)."}
                }),
                &["pattern"],
            ),
        },
        ToolSpec {
            name: "grep",
            description: "Search file contents with a regular expression (Rust regex syntax, \
                like ripgrep). Returns matching lines as `path:line:text`, at most 500. Skips \
                `.git`, files ignored by `.gitignore`, and binary files.",
            parameters: object(
                json!({
                    "pattern": {"type": "string", "description": "Regular expression to look for in each line."},
                    "path": {"type": "string", "description": "File or directory to search. Default `.` (the work directory)."},
                    "include": {"type": "string", "description": "Only search files whose name matches this glob, such as `*.rs` or `*.{ts,tsx}`; with a `/` it matches the path below `path`."},
                    "case_insensitive": {"type": "boolean", "description": "Ignore case. Default false."}
                }),
                &["pattern"],
            ),
        },
        ToolSpec {
            name: "write",
            description: "Write a file in the work directory, replacing it if it exists and \
                creating missing parent directories. Give the complete content. To change part \
                of an existing file, prefer edit.",
            parameters: object(
                json!({
                    "path": {"type": "string", "description": "File path, relative to the work directory."},
                    "content": {"type": "string", "description": "The complete new content of the file."}
                }),
                &["path", "content"],
            ),
        },
        ToolSpec {
            name: "edit",
            description: "Replace exact text in a file. `old_string` must match the file \
                exactly, including whitespace and indentation, and must occur once unless \
                `replace_all` is true; include enough surrounding lines to make it unique. Read \
                the file first.",
            parameters: object(
                json!({
                    "path": {"type": "string", "description": "File path, relative to the work directory."},
                    "old_string": {"type": "string", "description": "The exact text to replace."},
                    "new_string": {"type": "string", "description": "The text to put in its place (different from old_string)."},
                    "replace_all": {"type": "boolean", "description": "Replace every occurrence instead of exactly one. Default false."}
                }),
                &["path", "old_string", "new_string"],
            ),
        },
        ToolSpec {
            name: "bash",
            description: "Run a shell command (`sh -c`) in the work directory, without input \
                (stdin is closed, so interactive prompts fail). Returns stdout and stderr \
                together and the exit code; long output keeps its beginning and end. The \
                command is stopped after 2 minutes unless `timeout_ms` says otherwise (at most \
                10 minutes). Processes it starts in the background are stopped when it ends. \
                Prefer read, list, glob and grep over cat, ls, find and grep.",
            parameters: object(
                json!({
                    "command": {"type": "string", "description": "The command line to run."},
                    "timeout_ms": {"type": "integer", "minimum": 1, "maximum": 600000, "description": "Stop the command after this many milliseconds. Default 120000."},
                    "description": {"type": "string", "description": "A few words on what the command does, shown to the person watching."}
                }),
                &["command"],
            ),
        },
        ToolSpec {
            name: "question",
            description: "Ask the person running this automation up to 5 questions and wait \
                for the answers. Use it only when you cannot reasonably proceed without them; \
                offer choices when the likely answers are known.",
            parameters: object(
                json!({
                    "questions": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": 5,
                        "items": {
                            "type": "object",
                            "properties": {
                                "question": {"type": "string", "description": "The question, as a complete sentence."},
                                "choices": {"type": "array", "items": {"type": "string"}, "description": "Answers to pick from, if any."}
                            },
                            "required": ["question"],
                            "additionalProperties": false
                        }
                    }
                }),
                &["questions"],
            ),
        },
    ]
}

fn object(properties: serde_json::Value, required: &[&str]) -> serde_json::Value {
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::TOOL_NAMES;

    #[test]
    fn every_tool_has_a_spec_in_tool_names_order() {
        let names: Vec<_> = specs().iter().map(|s| s.name).collect();
        assert_eq!(names, TOOL_NAMES);
    }

    #[test]
    fn required_arguments_are_declared_properties() {
        for spec in specs() {
            let properties = spec.parameters["properties"].as_object().unwrap();
            for required in spec.parameters["required"].as_array().unwrap() {
                let required = required.as_str().unwrap();
                assert!(
                    properties.contains_key(required),
                    "{}: {required} is required but not a property",
                    spec.name
                );
            }
        }
    }
}
