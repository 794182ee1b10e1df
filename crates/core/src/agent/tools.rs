//! The agent's tools: what a model may call, parsed from its JSON arguments, described for
//! it, previewed for the person approving it, and run against the work directory.
//!
//! Every path a tool touches goes through [`paths::resolve`], so nothing outside the work
//! directory can be read, listed, searched or written, whatever the model asks.
//! Errors are results the model reads: a failed call is a [`ToolResult`] with
//! `is_error = true`, never a panic.

mod args;
pub(crate) mod atomic;
mod bash;
pub mod paths;
mod question;
mod read;
mod search;
mod specs;
mod write;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::containment::Containment;
use super::permissions::Rules;
use crate::changes::ChangeLog;
use crate::definition::TOOL_NAMES;
use crate::ledger::Question;

use args::Args;
pub use specs::specs;

/// The bash timeout when a call does not ask for one.
pub const DEFAULT_BASH_TIMEOUT: Duration = Duration::from_secs(120);
/// The longest a bash call may ask for with `timeout_ms`; longer requests are cut to this.
pub const MAX_BASH_TIMEOUT: Duration = Duration::from_secs(600);
/// How much output a call returns before it is truncated with a notice.
pub const DEFAULT_OUTPUT_CAP_BYTES: usize = 30_000;

/// What every tool call runs against.
#[derive(Debug, Clone)]
pub struct ToolContext {
    /// The canonical absolute work directory; every path resolves inside it.
    pub workspace: PathBuf,
    /// The run's token: a cancelled run kills its bash process group at once.
    pub cancel: CancellationToken,
    /// Used when a bash call gives no `timeout_ms`.
    pub bash_timeout: Duration,
    /// Longer output is truncated with a notice saying how much was cut.
    pub output_cap_bytes: usize,
    /// What files held before `write` and `edit` changed them (the change review).
    pub changes: Arc<ChangeLog>,
    /// How bash commands start: sandboxed, directly, or not at all.
    pub containment: Containment,
    /// The run's own temp dir, `$TMPDIR` for its commands.
    pub temp_dir: Option<PathBuf>,
    /// More variables commands may see beyond the allow-list (`sandbox.env`).
    pub env: Vec<String>,
    /// The automation's permission rules: glob and grep skip files they deny.
    pub rules: Arc<Rules>,
}

impl ToolContext {
    /// A context with the default timeout and output cap. The workspace is canonicalized
    /// here when it exists, so a path given through a symlink (say `/tmp` on macOS) still
    /// confines correctly.
    pub fn new(workspace: PathBuf, cancel: CancellationToken) -> Self {
        let workspace = std::fs::canonicalize(&workspace).unwrap_or(workspace);
        Self {
            workspace,
            cancel,
            bash_timeout: DEFAULT_BASH_TIMEOUT,
            output_cap_bytes: DEFAULT_OUTPUT_CAP_BYTES,
            changes: Arc::default(),
            containment: Containment::Unsandboxed,
            temp_dir: None,
            env: Vec::new(),
            rules: Arc::default(),
        }
    }
}

/// A tool as offered to the model.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    pub name: &'static str,
    pub description: &'static str,
    /// A JSON Schema object for the arguments.
    pub parameters: Value,
}

/// What a call produced, as the model will read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolResult {
    pub content: String,
    pub is_error: bool,
    /// Workspace-relative paths the call wrote (write and edit; bash reports none).
    pub changed_paths: Vec<String>,
}

impl ToolResult {
    pub fn ok(content: impl Into<String>) -> Self {
        Self {
            content: content.into(),
            is_error: false,
            changed_paths: Vec::new(),
        }
    }

    pub fn error(content: impl Into<String>) -> Self {
        Self {
            content: content.into(),
            is_error: true,
            changed_paths: Vec::new(),
        }
    }
}

impl From<ToolError> for ToolResult {
    fn from(error: ToolError) -> Self {
        ToolResult::error(error.to_string())
    }
}

/// Why a call could not be parsed or run. The message is what the model sees, so it says
/// what was wrong and what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToolError {
    #[error("there is no tool `{0}`; the tools are {tools}", tools = TOOL_NAMES.join(", "))]
    UnknownTool(String),
    #[error("invalid arguments for `{tool}`: {message}")]
    InvalidArguments { tool: &'static str, message: String },
    #[error(
        "path `{path}` is outside the work directory {workspace}; only files inside it can be used"
    )]
    OutsideWorkspace { path: String, workspace: String },
    /// The call was well formed but failed (a missing file, an edit that does not apply).
    #[error("{0}")]
    Failed(String),
}

/// One parsed call. Path fields hold the workspace-relative path after confinement and
/// symlink resolution (`.` for the work directory itself), so permission rules match the
/// real location whatever spelling the model used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolCall {
    Read {
        path: String,
        /// 1-based first line.
        offset: Option<usize>,
        /// Lines to return (default 2000).
        limit: Option<usize>,
    },
    List {
        path: String,
    },
    Glob {
        pattern: String,
        path: String,
    },
    Grep {
        pattern: String,
        path: String,
        include: Option<String>,
        case_insensitive: bool,
    },
    Write {
        path: String,
        content: String,
    },
    Edit {
        path: String,
        old_string: String,
        new_string: String,
        replace_all: bool,
    },
    Bash {
        command: String,
        timeout_ms: Option<u64>,
        description: Option<String>,
    },
    Question {
        questions: Vec<Question>,
    },
}

impl ToolCall {
    /// Parses a call from the model: checks every argument and confines every path to the
    /// work directory (which is why this needs the context). Fails with a message the model
    /// can act on. `arguments` may be an object, `null` (no arguments) or a string holding a
    /// JSON object, as some providers send it.
    pub fn parse(name: &str, arguments: &Value, ctx: &ToolContext) -> Result<ToolCall, ToolError> {
        let tool = TOOL_NAMES
            .iter()
            .copied()
            .find(|t| *t == name)
            .ok_or_else(|| ToolError::UnknownTool(name.to_owned()))?;
        let args = Args::new(tool, arguments)?;
        let path = |key: &str, default: Option<&str>| -> Result<String, ToolError> {
            let raw = match default {
                Some(default) => args.opt_str(key)?.unwrap_or_else(|| default.to_owned()),
                None => args.str(key)?,
            };
            Ok(paths::resolve(&ctx.workspace, &raw)?.relative)
        };
        let call = match tool {
            "read" => ToolCall::Read {
                path: path("path", None)?,
                offset: args.opt_usize("offset")?,
                limit: args.opt_positive("limit")?,
            },
            "list" => ToolCall::List {
                path: path("path", Some("."))?,
            },
            "glob" => {
                let pattern = args.str("pattern")?;
                search::check_glob(&pattern).map_err(|m| args.invalid(m))?;
                ToolCall::Glob {
                    pattern,
                    path: path("path", Some("."))?,
                }
            }
            "grep" => {
                let pattern = args.str("pattern")?;
                search::check_regex(&pattern).map_err(|m| args.invalid(m))?;
                let include = args.opt_str("include")?;
                if let Some(include) = &include {
                    search::check_glob(include).map_err(|m| args.invalid(m))?;
                }
                ToolCall::Grep {
                    pattern,
                    path: path("path", Some("."))?,
                    include,
                    case_insensitive: args.opt_bool("case_insensitive")?.unwrap_or(false),
                }
            }
            "write" => ToolCall::Write {
                path: writable(path("path", None)?)?,
                content: args.str_allow_empty("content")?,
            },
            "edit" => {
                let old_string = args.str_allow_empty("old_string")?;
                let new_string = args.str_allow_empty("new_string")?;
                if old_string.is_empty() {
                    return Err(args.invalid(
                        "`old_string` is empty; to create or overwrite a whole file use write",
                    ));
                }
                if old_string == new_string {
                    return Err(args.invalid(
                        "`old_string` and `new_string` are the same, so the edit would change nothing",
                    ));
                }
                ToolCall::Edit {
                    path: writable(path("path", None)?)?,
                    old_string,
                    new_string,
                    replace_all: args.opt_bool("replace_all")?.unwrap_or(false),
                }
            }
            "bash" => ToolCall::Bash {
                command: args.str("command")?,
                timeout_ms: args.opt_positive_u64("timeout_ms")?,
                description: args.opt_str("description")?,
            },
            "question" => ToolCall::Question {
                questions: question::parse(args.get("questions")).map_err(|m| args.invalid(m))?,
            },
            other => return Err(ToolError::UnknownTool(other.to_owned())),
        };
        Ok(call)
    }

    /// Whether the call only looks (read, list, glob, grep): it changes no file and runs no
    /// command, so it may run before the answer that asked for it is stored.
    pub fn reads_only(&self) -> bool {
        matches!(
            self,
            ToolCall::Read { .. }
                | ToolCall::List { .. }
                | ToolCall::Glob { .. }
                | ToolCall::Grep { .. }
        )
    }

    pub fn name(&self) -> &'static str {
        match self {
            ToolCall::Read { .. } => "read",
            ToolCall::List { .. } => "list",
            ToolCall::Glob { .. } => "glob",
            ToolCall::Grep { .. } => "grep",
            ToolCall::Write { .. } => "write",
            ToolCall::Edit { .. } => "edit",
            ToolCall::Bash { .. } => "bash",
            ToolCall::Question { .. } => "question",
        }
    }

    /// What permission rules match against and what a blocker shows: the workspace-relative
    /// path (read, list, write, edit, and the search root of glob and grep), the command
    /// (bash), or the first question's text.
    pub fn subject(&self) -> String {
        match self {
            ToolCall::Read { path, .. }
            | ToolCall::List { path }
            | ToolCall::Glob { path, .. }
            | ToolCall::Grep { path, .. }
            | ToolCall::Write { path, .. }
            | ToolCall::Edit { path, .. } => path.clone(),
            ToolCall::Bash { command, .. } => command.clone(),
            ToolCall::Question { questions } => questions
                .first()
                .map(|q| q.question.clone())
                .unwrap_or_default(),
        }
    }

    /// One line for people: "run `cargo test`", "edit src/lib.rs", "read README.md".
    pub fn summary(&self) -> String {
        match self {
            ToolCall::Read { path, .. } => format!("read {path}"),
            ToolCall::List { path } => format!("list {path}"),
            ToolCall::Glob { pattern, path } => {
                format!("find files matching `{}` in {path}", one_line(pattern, 80))
            }
            ToolCall::Grep { pattern, path, .. } => {
                format!("search for `{}` in {path}", one_line(pattern, 80))
            }
            ToolCall::Write { path, .. } => format!("write {path}"),
            ToolCall::Edit { path, .. } => format!("edit {path}"),
            ToolCall::Bash { command, .. } => format!("run `{}`", one_line(command, 120)),
            ToolCall::Question { questions } => match questions.as_slice() {
                [only] => format!("ask: {}", one_line(&only.question, 120)),
                many => format!("ask {} questions", many.len()),
            },
        }
    }

    /// For write and edit: the unified diff the call would make, computed without writing
    /// and capped like any output. `None` for other tools, or when the call cannot apply
    /// (the edit's text is not in the file, the file is not text, the path escapes).
    pub fn preview(&self, ctx: &ToolContext) -> Option<String> {
        let diff = match self {
            ToolCall::Write { path, content } => write::preview_write(ctx, path, content),
            ToolCall::Edit {
                path,
                old_string,
                new_string,
                replace_all,
            } => write::preview_edit(ctx, path, old_string, new_string, *replace_all),
            _ => None,
        }?;
        Some(truncate_output(diff, ctx.output_cap_bytes))
    }

    /// Runs the call. Paths are confined again here, since the files may have changed while
    /// the call waited for approval.
    pub async fn run(&self, ctx: &ToolContext) -> ToolResult {
        let outcome = match self {
            ToolCall::Read {
                path,
                offset,
                limit,
            } => read::read(ctx, path, *offset, *limit).map(ToolResult::ok),
            ToolCall::List { path } => search::list(ctx, path).map(ToolResult::ok),
            ToolCall::Glob { pattern, path } => {
                search::glob(ctx, pattern, path).await.map(ToolResult::ok)
            }
            ToolCall::Grep {
                pattern,
                path,
                include,
                case_insensitive,
            } => search::grep(ctx, pattern, path, include.as_deref(), *case_insensitive)
                .await
                .map(ToolResult::ok),
            ToolCall::Write { path, content } => write::write(ctx, path, content),
            ToolCall::Edit {
                path,
                old_string,
                new_string,
                replace_all,
            } => write::edit(ctx, path, old_string, new_string, *replace_all),
            ToolCall::Bash {
                command,
                timeout_ms,
                ..
            } => Ok(bash::run(ctx, command, *timeout_ms).await),
            ToolCall::Question { .. } => Err(ToolError::Failed(
                "question is answered by the person running the automation; the agent loop \
                 asks it, it is not run as a tool"
                    .to_owned(),
            )),
        };
        outcome.unwrap_or_else(ToolResult::from)
    }
}

/// Refuses a write or edit inside `.git`: hooks and configuration there run programs when
/// git runs, so the repository's metadata is read-only for runs (the sandbox mounts it so
/// for commands too); the engine records the changes itself.
fn writable(relative: String) -> Result<String, ToolError> {
    if relative.split('/').any(|part| part == ".git") {
        return Err(ToolError::Failed(format!(
            "`{relative}` is inside .git, which runs cannot change (hooks and configuration \
             there run programs); change the files of the work tree instead"
        )));
    }
    Ok(relative)
}

/// Keeps the first `cap` bytes of `text` (on a character boundary) and says how much was
/// cut.
pub(crate) fn truncate_output(mut text: String, cap: usize) -> String {
    if text.len() <= cap {
        return text;
    }
    let mut end = cap;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let cut = text.len() - end;
    text.truncate(end);
    text.push_str(&format!(
        "\n\n[output truncated: {cut} more bytes not shown]"
    ));
    text
}

/// The first line of `text`, at most `max` characters, marked when shortened.
fn one_line(text: &str, max: usize) -> String {
    let first = text.lines().next().unwrap_or_default();
    let mut line: String = first.chars().take(max).collect();
    if line.len() < text.trim_end().len() {
        line.push_str(" …");
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_output_keeps_short_text_whole() {
        assert_eq!(truncate_output("abc".into(), 3), "abc");
    }

    #[test]
    fn truncate_output_says_how_much_was_cut_and_respects_char_boundaries() {
        let out = truncate_output("aé".repeat(10), 4);
        assert_eq!(out, "aéa\n\n[output truncated: 26 more bytes not shown]");
    }

    #[test]
    fn one_line_marks_multi_line_and_long_text() {
        assert_eq!(one_line("cargo test", 80), "cargo test");
        assert_eq!(one_line("a\nb", 80), "a …");
        assert_eq!(one_line("abcdef", 3), "abc …");
    }
}
