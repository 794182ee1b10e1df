//! Transcripts for people: tool calls on one line, tool results cut to their first lines,
//! reasoning dimmed (on a terminal) or prefixed. Used for a stored transcript (`run show
//! --transcript`) and for one streaming in (`run-now`).

use std::collections::HashSet;
use std::io::{self, IsTerminal, Write};

use autowork_core::transcript::{Message, Part, PartChange, PartUpdate, Role};
use serde_json::Value;

use crate::output::clip;

/// Widest tool call or result line before it is cut.
const LINE_MAX: usize = 120;
/// Lines of a tool result shown.
const RESULT_LINES: usize = 2;
const REASONING_PREFIX: &str = "┊ ";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// A stored transcript: a header per message, then its parts.
pub fn render(messages: &[Message]) -> String {
    let mut text = String::new();
    for message in messages {
        text.push_str(&format!("── {} ──\n", message.role.as_str()));
        for part in &message.parts {
            text.push_str(&part_block(part, true));
        }
    }
    text
}

/// A complete part as lines (ending with a newline). `full_arguments` shows a tool call's
/// arguments as compact JSON rather than the one-line summary.
fn part_block(part: &Part, full_arguments: bool) -> String {
    match part {
        Part::Text { text } => with_newline(text),
        Part::Reasoning { text } => text
            .lines()
            .map(|line| format!("{REASONING_PREFIX}{line}\n"))
            .collect(),
        Part::ToolCall {
            tool_name,
            arguments,
            ..
        } => {
            if full_arguments {
                let args = serde_json::to_string(arguments).unwrap_or_default();
                format!("→ {tool_name} {}\n", clip(&args, LINE_MAX * 2))
            } else {
                format!("{}\n", tool_call_line(tool_name, arguments))
            }
        }
        Part::ToolResult {
            content, is_error, ..
        } => tool_result_lines(content, *is_error),
        Part::Error { text } => format!("  ✗ error: {}\n", clip(text, LINE_MAX * 2)),
        Part::Notice { text } => format!("  ! {}\n", clip(text, LINE_MAX * 2)),
    }
}

fn with_newline(text: &str) -> String {
    let text = text.trim_end_matches('\n');
    if text.is_empty() {
        String::new()
    } else {
        format!("{text}\n")
    }
}

/// `→ bash: cargo test`, `→ edit src/lib.rs`, `→ grep fn main in src`.
pub fn tool_call_line(tool: &str, arguments: &Value) -> String {
    let arg = |name: &str| arguments.get(name).and_then(Value::as_str);
    let detail = match tool {
        "bash" => arg("command").map(|c| format!(": {}", clip(c, LINE_MAX))),
        "glob" | "grep" => arg("pattern").map(|pattern| {
            let path = arg("path").unwrap_or(".");
            format!(" {} in {path}", clip(pattern, LINE_MAX))
        }),
        "question" => arguments
            .pointer("/questions/0/question")
            .and_then(Value::as_str)
            .map(|q| format!(": {}", clip(q, LINE_MAX))),
        _ => arg("path").map(|p| format!(" {p}")),
    };
    let detail = detail.unwrap_or_else(|| {
        let json = serde_json::to_string(arguments).unwrap_or_default();
        format!(" {}", clip(&json, LINE_MAX))
    });
    format!("→ {tool}{detail}")
}

/// `  ✓ first line` (or `  ✗`), a second line, and how many more there were.
pub fn tool_result_lines(content: &str, is_error: bool) -> String {
    let mark = if is_error { "✗" } else { "✓" };
    let lines: Vec<&str> = content
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect();
    if lines.is_empty() {
        let what = if is_error { "failed" } else { "done" };
        return format!("  {mark} ({what}, no output)\n");
    }
    let mut text = String::new();
    for (i, line) in lines.iter().take(RESULT_LINES).enumerate() {
        let lead = if i == 0 {
            format!("  {mark} ")
        } else {
            "    ".into()
        };
        text.push_str(&format!("{lead}{}\n", clip(line, LINE_MAX)));
    }
    if lines.len() > RESULT_LINES {
        text.push_str(&more_lines(lines.len() - RESULT_LINES));
    }
    text
}

/// Where a run's live transcript and prompts go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    Stdout,
    Stderr,
}

impl Sink {
    fn is_terminal(self) -> bool {
        match self {
            Sink::Stdout => io::stdout().is_terminal(),
            Sink::Stderr => io::stderr().is_terminal(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Between blocks, or after a whole line of something else.
    Idle,
    Text,
    Reasoning,
}

/// Prints a run's transcript as it streams: text deltas as they come, complete parts that
/// did not stream as blocks. Write errors are ignored: the run matters more than its echo.
pub struct Printer {
    sink: Sink,
    color: bool,
    mode: Mode,
    line_start: bool,
    /// Text and reasoning (message id, part kind) that arrived as deltas, so their
    /// completion is not printed again. Keyed by kind, not part index: a delta carries the
    /// index the next stored part will get, so reasoning and text stream under the same one.
    streamed: HashSet<(String, &'static str)>,
}

impl Printer {
    pub fn new(sink: Sink) -> Self {
        let color = sink.is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Self {
            sink,
            color,
            mode: Mode::Idle,
            line_start: true,
            streamed: HashSet::new(),
        }
    }

    fn raw(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        self.write(text);
        self.line_start = text.ends_with('\n');
    }

    /// Terminal escapes: written without moving the cursor.
    fn escape(&mut self, code: &str) {
        if self.color {
            self.write(code);
        }
    }

    fn write(&self, text: &str) {
        let _ = match self.sink {
            Sink::Stdout => {
                let mut out = io::stdout().lock();
                out.write_all(text.as_bytes()).and_then(|()| out.flush())
            }
            Sink::Stderr => io::stderr().lock().write_all(text.as_bytes()),
        };
    }

    /// Ends a text or reasoning stream, on a line of its own.
    fn settle(&mut self) {
        if self.mode == Mode::Reasoning {
            self.escape(RESET);
        }
        if !self.line_start {
            self.raw("\n");
        }
        self.mode = Mode::Idle;
    }

    /// Whole lines (ending with a newline), after whatever streamed.
    pub fn block(&mut self, text: &str) {
        self.settle();
        self.raw(text);
    }

    /// A prompt: text that the user's answer ends.
    pub fn prompt(&mut self, text: &str) {
        self.settle();
        self.raw(text);
    }

    /// Echoes an answer read from a pipe (a terminal echoes it itself).
    pub fn answered(&mut self, line: &str, echo: bool) {
        if echo {
            self.raw(&format!("{line}\n"));
        } else {
            self.line_start = true;
        }
    }

    pub fn finish(&mut self) {
        self.settle();
    }

    pub fn update(&mut self, update: &PartUpdate) {
        match &update.change {
            PartChange::Delta { part_kind, text } => {
                let (mode, kind) = if part_kind == "reasoning" {
                    (Mode::Reasoning, "reasoning")
                } else {
                    (Mode::Text, "text")
                };
                self.streamed.insert((update.message_id.clone(), kind));
                self.delta(mode, text);
            }
            PartChange::Retrying {
                attempt,
                max_attempts,
                reason,
                retry_at,
            } => {
                let wait = (*retry_at - chrono::Utc::now()).num_seconds().max(0);
                self.block(&format!(
                    "  … retrying ({attempt} of {max_attempts}) in {wait} s: {reason}\n"
                ));
            }
            PartChange::Complete { part } => {
                let key = (update.message_id.clone(), part.kind());
                let streamed = self.streamed.remove(&key);
                match part {
                    // The prompt: the automation's own words.
                    _ if update.role == Role::User => {}
                    Part::Text { .. } | Part::Reasoning { .. } if streamed => self.settle(),
                    Part::Reasoning { text } if self.color => {
                        self.settle();
                        self.escape(DIM);
                        self.raw(text.trim_end_matches('\n'));
                        self.escape(RESET);
                        self.raw("\n");
                    }
                    other => self.block(&part_block(other, false)),
                }
            }
        }
    }

    fn delta(&mut self, mode: Mode, text: &str) {
        if self.mode != mode {
            self.settle();
            self.mode = mode;
            if mode == Mode::Reasoning {
                self.escape(DIM);
            }
        }
        if mode == Mode::Reasoning && !self.color {
            // Prefix every line the reasoning starts.
            for piece in text.split_inclusive('\n') {
                if self.line_start {
                    self.raw(REASONING_PREFIX);
                }
                self.raw(piece);
            }
        } else {
            self.raw(text);
        }
    }
}

/// "… 1 more line" / "… 3 more lines", indented under a result.
pub fn more_lines(count: usize) -> String {
    let noun = if count == 1 { "line" } else { "lines" };
    format!("    … {count} more {noun}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn tool_calls_are_one_compact_line() {
        assert_eq!(
            tool_call_line("bash", &json!({ "command": "cargo test" })),
            "→ bash: cargo test"
        );
        assert_eq!(
            tool_call_line("edit", &json!({ "path": "src/lib.rs", "old_string": "a" })),
            "→ edit src/lib.rs"
        );
        assert_eq!(
            tool_call_line("grep", &json!({ "pattern": "fn main", "path": "src" })),
            "→ grep fn main in src"
        );
        assert_eq!(
            tool_call_line("custom", &json!({ "x": 1 })),
            "→ custom {\"x\":1}"
        );
    }

    #[test]
    fn tool_results_keep_their_first_two_lines() {
        assert_eq!(tool_result_lines("one line", false), "  ✓ one line\n");
        assert_eq!(
            tool_result_lines("a\n\nb\nc\nd\n", true),
            "  ✗ a\n    b\n    … 2 more lines\n"
        );
        assert_eq!(tool_result_lines("", false), "  ✓ (done, no output)\n");
    }
}
