//! `read`: a text file with line numbers, a window at a time.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader};

use super::{paths, ToolContext, ToolError};

/// Lines returned when the call gives no `limit`.
pub(super) const DEFAULT_LIMIT: usize = 2000;
/// Longer lines are cut (minified files would otherwise fill the output with one line).
const MAX_LINE_CHARS: usize = 2000;

pub(super) fn read(
    ctx: &ToolContext,
    path: &str,
    offset: Option<usize>,
    limit: Option<usize>,
) -> Result<String, ToolError> {
    let resolved = paths::resolve(&ctx.workspace, path)?;
    let failed = |what: String| ToolError::Failed(what);
    let meta = std::fs::metadata(&resolved.absolute).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => failed(format!(
            "file `{path}` does not exist; use glob or list to find the right path"
        )),
        _ => failed(format!("cannot read `{path}`: {e}")),
    })?;
    if meta.is_dir() {
        return Err(failed(format!(
            "`{path}` is a directory; use list to see its entries"
        )));
    }
    let file =
        File::open(&resolved.absolute).map_err(|e| failed(format!("cannot read `{path}`: {e}")))?;
    let mut reader = BufReader::new(file);
    let io_error = |e: std::io::Error| failed(format!("cannot read `{path}`: {e}"));
    if reader.fill_buf().map_err(io_error)?.contains(&0) {
        return Err(failed(format!(
            "`{path}` is a binary file; read only shows text files"
        )));
    }

    let first = offset.unwrap_or(1).max(1);
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    let mut out = String::new();
    let mut last_shown = 0usize;
    let mut total = 0usize;
    let mut full = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(io_error)? == 0 {
            break;
        }
        total += 1;
        if total < first || full {
            continue;
        }
        let formatted = format_line(total, &line);
        // Always show at least one line, even past the byte cap.
        if last_shown != 0 && out.len() + formatted.len() > ctx.output_cap_bytes {
            full = true;
            continue;
        }
        out.push_str(&formatted);
        last_shown = total;
        if total - first + 1 >= limit {
            full = true;
        }
    }

    if total == 0 {
        return Ok(format!("(`{path}` is empty)"));
    }
    if first > total {
        return Err(failed(format!(
            "offset {first} is past the end of `{path}`, which has {total} lines"
        )));
    }
    if last_shown < total {
        out.push_str(&format!(
            "\n(showing lines {first}-{last_shown} of {total}; to read on, call read with offset {})",
            last_shown + 1
        ));
    } else {
        // Drop the final newline so the output ends with the file's last line.
        out.truncate(out.trim_end_matches('\n').len());
    }
    Ok(out)
}

fn format_line(number: usize, raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let text = text.trim_end_matches('\n').trim_end_matches('\r');
    // Where the first MAX_LINE_CHARS characters end; a line of no more bytes than that has
    // no more characters (found without walking them: most lines are short).
    let end = if text.len() <= MAX_LINE_CHARS {
        text.len()
    } else {
        text.char_indices()
            .nth(MAX_LINE_CHARS)
            .map_or(text.len(), |(at, _)| at)
    };
    let mut line = String::with_capacity(end + 24);
    let _ = write!(line, "{number:>6}\t");
    line.push_str(&text[..end]);
    if end < text.len() {
        line.push_str(" … [line cut]");
    }
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_numbered_right_aligned_with_a_tab() {
        assert_eq!(
            format_line(7, b"fn main() {}\r\n"),
            "     7\tfn main() {}\n"
        );
    }

    #[test]
    fn very_long_lines_are_cut() {
        let long = "x".repeat(MAX_LINE_CHARS + 5);
        let shown = format_line(1, long.as_bytes());
        assert!(shown.ends_with("x … [line cut]\n"));
        assert_eq!(shown.chars().filter(|c| *c == 'x').count(), MAX_LINE_CHARS);
        let wide = "é".repeat(MAX_LINE_CHARS + 1);
        let shown = format_line(12, wide.as_bytes());
        assert_eq!(shown.chars().filter(|c| *c == 'é').count(), MAX_LINE_CHARS);
        assert!(shown.starts_with("    12\té") && shown.ends_with("é … [line cut]\n"));
        let exact = "é".repeat(MAX_LINE_CHARS);
        assert_eq!(
            format_line(1, exact.as_bytes()),
            format!("     1\t{exact}\n")
        );
    }
}
