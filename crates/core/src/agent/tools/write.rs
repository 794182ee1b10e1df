//! `write` and `edit`: changing files, and the diff a person sees before approving.

use std::fs;
use std::io::ErrorKind;

use similar::TextDiff;

use super::{atomic, paths, ToolContext, ToolError, ToolResult};

pub(super) fn write(ctx: &ToolContext, path: &str, content: &str) -> Result<ToolResult, ToolError> {
    let target = paths::resolve(&ctx.workspace, path)?;
    if target.absolute.is_dir() {
        return Err(ToolError::Failed(format!(
            "`{path}` is a directory; write needs a file path"
        )));
    }
    let existed = target.absolute.exists();
    if let Some(parent) = target.absolute.parent() {
        fs::create_dir_all(parent).map_err(|e| {
            ToolError::Failed(format!("cannot create the directories for `{path}`: {e}"))
        })?;
    }
    keep_original(ctx, &target, path)?;
    atomic::write(&target.absolute, content.as_bytes())
        .map_err(|e| ToolError::Failed(format!("cannot write `{path}`: {e}")))?;
    let verb = if existed { "updated" } else { "created" };
    let lines = content.lines().count();
    Ok(ToolResult {
        content: format!(
            "{verb} {} ({lines} {})",
            target.relative,
            plural(lines, "line")
        ),
        is_error: false,
        changed_paths: vec![target.relative],
    })
}

pub(super) fn edit(
    ctx: &ToolContext,
    path: &str,
    old: &str,
    new: &str,
    replace_all: bool,
) -> Result<ToolResult, ToolError> {
    let target = paths::resolve(&ctx.workspace, path)?;
    let before = read_text(&target.absolute, path)?;
    let (after, count) = apply_edit(&before, path, old, new, replace_all)?;
    keep_original(ctx, &target, path)?;
    atomic::write(&target.absolute, after.as_bytes())
        .map_err(|e| ToolError::Failed(format!("cannot write `{path}`: {e}")))?;
    Ok(ToolResult {
        content: format!(
            "edited {}: replaced {count} {}",
            target.relative,
            plural(count, "occurrence")
        ),
        is_error: false,
        changed_paths: vec![target.relative],
    })
}

/// Keeps the file's original before its first change; the file is not changed otherwise.
fn keep_original(
    ctx: &ToolContext,
    target: &paths::ResolvedPath,
    path: &str,
) -> Result<(), ToolError> {
    ctx.changes
        .before_write(&target.relative, &target.absolute)
        .map_err(|e| {
            ToolError::Failed(format!(
                "`{path}` was not changed: its original could not be kept for review and \
                 recovery ({e})"
            ))
        })
}

pub(super) fn preview_write(ctx: &ToolContext, path: &str, content: &str) -> Option<String> {
    let target = paths::resolve(&ctx.workspace, path).ok()?;
    let before = match fs::read(&target.absolute) {
        Ok(bytes) => String::from_utf8(bytes).ok()?,
        Err(e) if e.kind() == ErrorKind::NotFound => String::new(),
        Err(_) => return None,
    };
    Some(unified_diff(&target.relative, &before, content))
}

pub(super) fn preview_edit(
    ctx: &ToolContext,
    path: &str,
    old: &str,
    new: &str,
    replace_all: bool,
) -> Option<String> {
    let target = paths::resolve(&ctx.workspace, path).ok()?;
    let before = read_text(&target.absolute, path).ok()?;
    let (after, _) = apply_edit(&before, path, old, new, replace_all).ok()?;
    Some(unified_diff(&target.relative, &before, &after))
}

fn read_text(absolute: &std::path::Path, path: &str) -> Result<String, ToolError> {
    let bytes = fs::read(absolute).map_err(|e| match e.kind() {
        ErrorKind::NotFound => ToolError::Failed(format!(
            "file `{path}` does not exist; use write to create it"
        )),
        ErrorKind::IsADirectory => {
            ToolError::Failed(format!("`{path}` is a directory; edit changes a file"))
        }
        _ => ToolError::Failed(format!("cannot read `{path}`: {e}")),
    })?;
    String::from_utf8(bytes).map_err(|_| {
        ToolError::Failed(format!(
            "`{path}` is not a UTF-8 text file; edit only changes text files"
        ))
    })
}

/// The file's text after the replacement, and how many occurrences were replaced.
fn apply_edit(
    text: &str,
    path: &str,
    old: &str,
    new: &str,
    replace_all: bool,
) -> Result<(String, usize), ToolError> {
    let mut count = text.matches(old).count();
    let (mut old, mut new) = (old.to_owned(), new.to_owned());
    // Models write `\n`; a file with Windows line endings should still be editable.
    if count == 0 && text.contains("\r\n") && old.contains('\n') && !old.contains('\r') {
        let crlf = old.replace('\n', "\r\n");
        count = text.matches(crlf.as_str()).count();
        if count > 0 {
            old = crlf;
            new = new.replace('\n', "\r\n");
        }
    }
    if old == new {
        return Err(ToolError::Failed(
            "`old_string` and `new_string` are the same, so the edit would change nothing"
                .to_owned(),
        ));
    }
    match count {
        0 => Err(ToolError::Failed(format!(
            "`old_string` was not found in `{path}`; it must match the file exactly, including \
             whitespace and indentation (read the file to copy the text)"
        ))),
        1 => Ok((text.replacen(old.as_str(), &new, 1), 1)),
        many if replace_all => Ok((text.replace(old.as_str(), &new), many)),
        many => Err(ToolError::Failed(format!(
            "`old_string` occurs {many} times in `{path}`; add surrounding lines to make it \
             unique, or set replace_all to replace every occurrence"
        ))),
    }
}

fn unified_diff(relative: &str, before: &str, after: &str) -> String {
    TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{relative}"), &format!("b/{relative}"))
        .to_string()
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn apply_edit_replaces_a_unique_occurrence() {
        let (after, count) = apply_edit("a b c", "f", "b", "B", false).unwrap();
        assert_eq!((after.as_str(), count), ("a B c", 1));
    }

    #[test]
    fn apply_edit_counts_occurrences_when_not_unique() {
        let error = apply_edit("x x x", "f", "x", "y", false).unwrap_err();
        assert!(
            error.to_string().contains("occurs 3 times in `f`"),
            "{error}"
        );
        let (after, count) = apply_edit("x x x", "f", "x", "y", true).unwrap();
        assert_eq!((after.as_str(), count), ("y y y", 3));
    }

    #[test]
    fn apply_edit_matches_lf_text_against_crlf_files() {
        let (after, _) = apply_edit("a\r\nb\r\nc\r\n", "f", "a\nb", "a\nB", false).unwrap();
        assert_eq!(after, "a\r\nB\r\nc\r\n");
    }

    #[test]
    fn unified_diff_has_git_style_headers() {
        let diff = unified_diff("src/x.rs", "a\nb\n", "a\nc\n");
        assert_eq!(
            diff,
            "--- a/src/x.rs\n+++ b/src/x.rs\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n"
        );
    }
}
