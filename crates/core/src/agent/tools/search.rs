//! `list`, `glob` and `grep`: finding things in the work directory.
//!
//! Walks skip `.git` and respect `.gitignore` (also outside a git repository) and `.ignore`
//! files, but show other hidden files (`.github/`, `.env.example`). Symlinks are not
//! followed, and grep reads only regular files, so neither can reach outside the work
//! directory.

use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};
use ignore::WalkBuilder;
use regex::{Regex, RegexBuilder};

use super::{paths, truncate_output, ToolContext, ToolError};
use crate::agent::permissions::Rules;
use crate::definition::PermissionAction;

/// Whether a rule denies `tool`, or reading, on the workspace-relative `path`: such files
/// are left out of glob and grep results (counted, so the model knows), as `read` would
/// refuse them.
fn denied(rules: &Rules, tool: &str, path: &str) -> bool {
    !rules.as_slice().is_empty()
        && [tool, "read"]
            .iter()
            .any(|t| rules.resolve(t, path) == PermissionAction::Deny)
}

fn skipped_note(skipped: usize) -> String {
    format!(
        "\n\n({skipped} {} skipped: a permission rule of this automation denies {})",
        if skipped == 1 {
            "file was"
        } else {
            "files were"
        },
        if skipped == 1 { "it" } else { "them" }
    )
}

/// Entries `list` shows.
const LIST_CAP: usize = 1000;
/// Paths `glob` returns.
const GLOB_CAP: usize = 1000;
/// Matching lines after which `grep` stops.
const GREP_CAP: usize = 500;
/// Characters of a matching line shown.
const GREP_LINE_CHARS: usize = 500;
/// Files larger than this are not searched (logs, dumps, vendored bundles).
const GREP_MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

pub(super) fn check_glob(pattern: &str) -> Result<(), String> {
    glob_matcher(pattern).map(|_| ())
}

pub(super) fn check_regex(pattern: &str) -> Result<(), String> {
    regex(pattern, false).map(|_| ())
}

fn glob_matcher(pattern: &str) -> Result<GlobMatcher, String> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("`{pattern}` is not a valid glob: {e}"))
}

fn regex(pattern: &str, case_insensitive: bool) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .case_insensitive(case_insensitive)
        .build()
        .map_err(|e| format!("`{pattern}` is not a valid regular expression: {e}"))
}

pub(super) fn list(ctx: &ToolContext, path: &str) -> Result<String, ToolError> {
    let dir = paths::resolve(&ctx.workspace, path)?;
    let entries = std::fs::read_dir(&dir.absolute).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            ToolError::Failed(format!("directory `{path}` does not exist"))
        }
        std::io::ErrorKind::NotADirectory => ToolError::Failed(format!(
            "`{path}` is a file, not a directory; use read to see its contents"
        )),
        _ => ToolError::Failed(format!("cannot list `{path}`: {e}")),
    })?;
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name() != ".git")
        .map(|entry| {
            let mut name = entry.file_name().to_string_lossy().into_owned();
            // Follows symlinks, so a link to a directory reads as one.
            if entry.path().is_dir() {
                name.push('/');
            }
            name
        })
        .collect();
    if names.is_empty() {
        return Ok(format!("(`{path}` is empty)"));
    }
    names.sort();
    let total = names.len();
    names.truncate(LIST_CAP);
    let mut out = names.join("\n");
    if total > LIST_CAP {
        out.push_str(&format!(
            "\n\n({} more entries not shown; use glob to narrow down)",
            total - LIST_CAP
        ));
    }
    Ok(truncate_output(out, ctx.output_cap_bytes))
}

pub(super) async fn glob(
    ctx: &ToolContext,
    pattern: &str,
    path: &str,
) -> Result<String, ToolError> {
    let root = paths::resolve(&ctx.workspace, path)?;
    if !root.absolute.is_dir() {
        return Err(ToolError::Failed(format!(
            "`{path}` is not a directory; glob searches under a directory"
        )));
    }
    // Models often spell the pattern from the root they pass; accept that.
    let pattern = pattern
        .strip_prefix(&format!("{}/", root.absolute.display()))
        .or_else(|| pattern.strip_prefix("./"))
        .unwrap_or(pattern)
        .to_owned();
    let matcher = glob_matcher(&pattern).map_err(ToolError::Failed)?;
    let (workspace, cancel, cap) = (
        ctx.workspace.clone(),
        ctx.cancel.clone(),
        ctx.output_cap_bytes,
    );
    let display_path = path.to_owned();
    let rules = ctx.rules.clone();
    blocking(move || {
        let mut found = Vec::new();
        let mut skipped = 0;
        for entry in walker(&root.absolute).build().filter_map(Result::ok) {
            if cancel.is_cancelled() {
                return Err(ToolError::Failed(
                    "stopped: the run was cancelled".to_owned(),
                ));
            }
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            let Ok(below_root) = entry.path().strip_prefix(&root.absolute) else {
                continue;
            };
            if is_dir || !matcher.is_match(below_root) {
                continue;
            }
            let relative = workspace_relative(&workspace, entry.path());
            if denied(&rules, "glob", &relative) {
                skipped += 1;
                continue;
            }
            found.push(relative);
        }
        if found.is_empty() {
            let mut out = format!("no files match `{pattern}` in {display_path}");
            if skipped > 0 {
                out.push_str(&skipped_note(skipped));
            }
            return Ok(out);
        }
        found.sort();
        let total = found.len();
        found.truncate(GLOB_CAP);
        let mut out = found.join("\n");
        if total > GLOB_CAP {
            out.push_str(&format!(
                "\n\n(showing the first {GLOB_CAP} of {total} files; narrow the pattern or path)"
            ));
        }
        if skipped > 0 {
            out.push_str(&skipped_note(skipped));
        }
        Ok(truncate_output(out, cap))
    })
    .await
}

pub(super) async fn grep(
    ctx: &ToolContext,
    pattern: &str,
    path: &str,
    include: Option<&str>,
    case_insensitive: bool,
) -> Result<String, ToolError> {
    let root = paths::resolve(&ctx.workspace, path)?;
    if !root.absolute.exists() {
        return Err(ToolError::Failed(format!("`{path}` does not exist")));
    }
    let regex = regex(pattern, case_insensitive).map_err(ToolError::Failed)?;
    let include = include
        .map(|glob| glob_matcher(glob).map(|m| (m, glob.contains('/'))))
        .transpose()
        .map_err(ToolError::Failed)?;
    let (workspace, cancel, cap) = (
        ctx.workspace.clone(),
        ctx.cancel.clone(),
        ctx.output_cap_bytes,
    );
    let (pattern, display_path) = (pattern.to_owned(), path.to_owned());
    let rules = ctx.rules.clone();
    blocking(move || {
        let mut lines = Vec::new();
        let mut stopped = false;
        let mut skipped = 0;
        'files: for entry in walker(&root.absolute).build().filter_map(Result::ok) {
            if cancel.is_cancelled() {
                return Err(ToolError::Failed(
                    "stopped: the run was cancelled".to_owned(),
                ));
            }
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            if let Some((matcher, by_path)) = &include {
                let subject = if *by_path {
                    entry
                        .path()
                        .strip_prefix(&root.absolute)
                        .unwrap_or(entry.path())
                } else {
                    Path::new(entry.file_name())
                };
                if !matcher.is_match(subject) {
                    continue;
                }
            }
            if entry
                .metadata()
                .is_ok_and(|m| m.len() > GREP_MAX_FILE_BYTES)
            {
                continue;
            }
            if denied(
                &rules,
                "grep",
                &workspace_relative(&workspace, entry.path()),
            ) {
                skipped += 1;
                continue;
            }
            let Ok(bytes) = std::fs::read(entry.path()) else {
                continue;
            };
            if bytes.iter().take(8192).any(|b| *b == 0) {
                continue;
            }
            let text = String::from_utf8_lossy(&bytes);
            let shown_path = workspace_relative(&workspace, entry.path());
            for (index, line) in text.lines().enumerate() {
                if !regex.is_match(line) {
                    continue;
                }
                if lines.len() == GREP_CAP {
                    stopped = true;
                    break 'files;
                }
                let mut shown: String = line.chars().take(GREP_LINE_CHARS).collect();
                if shown.len() < line.len() {
                    shown.push_str(" … [line cut]");
                }
                lines.push(format!("{shown_path}:{}:{shown}", index + 1));
            }
        }
        if lines.is_empty() {
            let mut out = format!("no matches for `{pattern}` in {display_path}");
            if skipped > 0 {
                out.push_str(&skipped_note(skipped));
            }
            return Ok(out);
        }
        let mut out = lines.join("\n");
        if skipped > 0 {
            out.push_str(&skipped_note(skipped));
        }
        if stopped {
            out.push_str(&format!(
                "\n\n(stopped after {GREP_CAP} matching lines; narrow the pattern, path or include)"
            ));
        }
        Ok(truncate_output(out, cap))
    })
    .await
}

/// A sorted walk that skips `.git` and ignored files, and shows other hidden files.
fn walker(root: &Path) -> WalkBuilder {
    let mut builder = WalkBuilder::new(root);
    builder
        .hidden(false)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|entry| entry.file_name() != ".git")
        .sort_by_file_name(|a, b| a.cmp(b));
    builder
}

fn workspace_relative(workspace: &Path, path: &Path) -> String {
    path.strip_prefix(workspace)
        .map(PathBuf::from)
        .unwrap_or_else(|_| path.to_path_buf())
        .to_string_lossy()
        .into_owned()
}

/// Runs a file-system walk off the async threads.
async fn blocking<F>(walk: F) -> Result<String, ToolError>
where
    F: FnOnce() -> Result<String, ToolError> + Send + 'static,
{
    tokio::task::spawn_blocking(walk)
        .await
        .map_err(|e| ToolError::Failed(format!("the search failed: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_stars_stay_within_one_directory_and_double_stars_cross() {
        let star = glob_matcher("*.rs").unwrap();
        assert!(star.is_match("main.rs"));
        assert!(!star.is_match("src/main.rs"));
        let deep = glob_matcher("**/*.rs").unwrap();
        assert!(deep.is_match("main.rs"));
        assert!(deep.is_match("src/a/main.rs"));
    }

    #[test]
    fn invalid_patterns_say_what_is_wrong() {
        assert!(check_glob("a[")
            .unwrap_err()
            .starts_with("`a[` is not a valid glob"));
        assert!(check_regex("(")
            .unwrap_err()
            .starts_with("`(` is not a valid regular expression"));
    }
}
