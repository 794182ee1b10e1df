//! Writing results and errors: JSON values, aligned tables, `key: value` views, and the
//! wire error rendered for people or scripts.

use std::io::{self, Write};

use autowork_core::{ApiError, Error};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

/// Why a command did not finish normally.
#[derive(Debug)]
pub enum Failure {
    /// The engine's (or the CLI's own) structured error.
    Api(ApiError),
    /// Stdout was closed, e.g. piped into `head`: nothing more to say.
    StdoutClosed,
    /// Everything was said already; exit with this code (a run that failed, Ctrl-C).
    Exit(u8),
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Self {
        Failure::Api(error)
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Api(error.into())
    }
}

pub type Outcome = Result<(), Failure>;

/// Writes `text` to stdout as is.
pub fn emit(text: &str) -> Outcome {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| match e.kind() {
            io::ErrorKind::BrokenPipe => Failure::StdoutClosed,
            _ => Failure::Api(internal(format!("cannot write to stdout: {e}"))),
        })
}

/// Writes `value` as pretty JSON to stdout.
pub fn emit_json<T: Serialize>(value: &T) -> Outcome {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| internal(format!("cannot serialize the result: {e}")))?;
    emit(&format!("{text}\n"))
}

/// Writes `value` as JSON when `json`, else the human rendering.
pub fn emit_either<T: Serialize>(
    json: bool,
    value: &T,
    human: impl FnOnce(&T) -> String,
) -> Outcome {
    if json {
        emit_json(value)
    } else {
        emit(&human(value))
    }
}

pub fn internal(message: String) -> ApiError {
    ApiError::Internal {
        error: "internal".into(),
        message,
    }
}

/// Prints an error: as JSON on stdout for scripts, else a sentence (and one line per
/// validation problem) on stderr.
pub fn print_error(error: &ApiError, json: bool) {
    if json {
        if let Ok(text) = serde_json::to_string_pretty(error) {
            // Nothing better to do when stdout is gone; the exit code still tells.
            let _ = emit(&format!("{text}\n"));
        }
        return;
    }
    let text = match error {
        ApiError::Validation { error, details, .. } => {
            let mut text = format!("error: {}\n", error.replace('_', " "));
            for detail in details {
                let field = if detail.field.is_empty() {
                    "(input)"
                } else {
                    &detail.field
                };
                text.push_str(&format!("  {field}: {}", detail.message));
                if let Some(hint) = &detail.hint {
                    text.push_str(&format!(" ({hint})"));
                }
                text.push('\n');
            }
            text
        }
        other => format!("error: {}\n", other.message()),
    };
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

/// A table with a header row; every column but the last padded to its widest cell.
pub struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Self {
        Self {
            rows: vec![header.iter().map(|h| (*h).to_owned()).collect()],
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                let cells = self.rows.iter().filter_map(|r| r.get(c));
                cells.map(|cell| cell.chars().count()).max().unwrap_or(0)
            })
            .collect();
        let mut text = String::new();
        for row in &self.rows {
            let mut line = String::new();
            for (cell, width) in row.iter().zip(&widths) {
                line.push_str(&format!("{cell:<width$}  "));
            }
            text.push_str(line.trim_end());
            text.push('\n');
        }
        text
    }
}

/// `key: value` lines with the values aligned; continuation lines of a multi-line value
/// are indented to the same column.
pub fn fields(pairs: &[(&str, String)]) -> String {
    let width = pairs.iter().map(|(k, _)| k.len() + 1).max().unwrap_or(0);
    let mut text = String::new();
    for (key, value) in pairs {
        let label = format!("{key}:");
        let indent = format!("\n{:width$}  ", "");
        let value = value.trim_end().replace('\n', &indent);
        text.push_str(format!("{label:<width$}  {value}").trim_end());
        text.push('\n');
    }
    text
}

/// RFC 3339 in UTC, whole seconds: `2027-03-27T01:30:00Z`.
pub fn time(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn opt_time(at: Option<&DateTime<Utc>>) -> String {
    at.map(time).unwrap_or_else(|| "-".into())
}

/// At most `max` characters, with an ellipsis when cut.
pub fn clip(text: &str, max: usize) -> String {
    let first_line = text.lines().next().unwrap_or("");
    if first_line.chars().count() <= max && first_line.len() == text.trim_end().len() {
        return first_line.to_owned();
    }
    let kept: String = first_line.chars().take(max.saturating_sub(1)).collect();
    format!("{kept}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn table_pads_every_column_but_the_last() {
        let mut table = Table::new(&["ID", "TITLE", "REV"]);
        table.row(vec!["aut_1".into(), "A longer title".into(), "12".into()]);
        assert_eq!(
            table.render(),
            "ID     TITLE           REV\naut_1  A longer title  12\n"
        );
    }

    #[test]
    fn fields_align_values_and_indent_continuation_lines() {
        let text = fields(&[("id", "aut_1".into()), ("prompt", "one\ntwo".into())]);
        assert_eq!(text, "id:      aut_1\nprompt:  one\n         two\n");
    }

    #[test]
    fn clip_cuts_long_or_multiline_text_with_an_ellipsis() {
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("abcdefghijkl", 5), "abcd…");
        assert_eq!(clip("first\nsecond", 20), "first…");
    }
}
