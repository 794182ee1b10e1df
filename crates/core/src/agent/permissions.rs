//! Whether a tool call may run: allow, ask the user, or deny, by the automation's rules.
//!
//! A rule names a tool (or `*` for any) and a glob over the call's subject: the
//! workspace-relative path for file tools, the command line for bash (see
//! [`crate::agent::tools::ToolCall::subject`]). The last matching rule wins, so later rules
//! (including the ones "always" appends) refine earlier ones.
//!
//! Pattern syntax is globset's, with two choices made for commands and paths alike:
//! - `*` and `?` match any character, including `/` and newlines. For commands a `/` is
//!   nothing special (`git *` must match `git log src/`), and one rule for both kinds of
//!   subject is easier to reason about: `src/*` covers everything under `src/`. Matching
//!   newlines matters for deny rules: `*rm -rf*` also catches the command on line two.
//! - A backslash is an ordinary character, since commands are full of them; to match a
//!   literal `*`, `?`, `[`, `]`, `{` or `}` put it in brackets (`[*]`), as
//!   [`exact_pattern`] does.
//!
//! A glob is no sandbox for commands: `git *` also allows `git status; rm -rf ~`. Allow
//! broad command patterns only where that is acceptable.

use globset::GlobBuilder;
use regex::bytes::{Regex, RegexBuilder};

use crate::definition::{PermissionAction, PermissionRule};

/// The action for a call: the last rule whose tool (`*` or the tool's name) and pattern
/// match the subject, or [`default_action`] when none does.
pub fn resolve(rules: &[PermissionRule], tool: &str, subject: &str) -> PermissionAction {
    rules
        .iter()
        .rev()
        .find(|rule| (rule.tool == "*" || rule.tool == tool) && matches(&rule.pattern, subject))
        .map(|rule| rule.action)
        .unwrap_or_else(|| default_action(tool))
}

/// Without a matching rule, tools that only look (read, list, glob, grep) and question are
/// allowed; write, edit, bash and anything unknown ask.
pub fn default_action(tool: &str) -> PermissionAction {
    match tool {
        "read" | "list" | "glob" | "grep" | "question" => PermissionAction::Allow,
        _ => PermissionAction::Ask,
    }
}

/// The rule "always" adds after the user approves a call: the exact subject (the command
/// for bash, the path for write and edit), so approving one thing never approves more.
pub fn always_rule(tool: &str, subject: &str) -> PermissionRule {
    PermissionRule {
        tool: tool.to_owned(),
        pattern: exact_pattern(subject),
        action: PermissionAction::Allow,
    }
}

/// A pattern that matches `text` and nothing else: glob metacharacters go in brackets.
pub fn exact_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '{' | '}') {
            pattern.push('[');
            pattern.push(c);
            pattern.push(']');
        } else {
            pattern.push(c);
        }
    }
    pattern
}

/// Whether `pattern` matches all of `subject`. An invalid pattern (a stored rule that
/// predates validation, say) matches nothing, with a warning.
pub fn matches(pattern: &str, subject: &str) -> bool {
    match compile(pattern) {
        Ok(regex) => regex.is_match(subject.as_bytes()),
        Err(error) => {
            tracing::warn!(%pattern, %error, "permission rule has an invalid pattern; it matches nothing");
            false
        }
    }
}

fn compile(pattern: &str) -> Result<Regex, String> {
    let glob = GlobBuilder::new(pattern)
        .literal_separator(false)
        .backslash_escape(false)
        .build()
        .map_err(|e| e.to_string())?;
    // globset's own matcher leaves `.` unable to match a newline; the same regex with
    // dot-matches-newline makes `*` mean "anything".
    RegexBuilder::new(glob.regex())
        .dot_matches_new_line(true)
        .build()
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_crosses_slashes_and_newlines() {
        assert!(matches("src/*", "src/a/b.rs"));
        assert!(matches("git *", "git log src/"));
        assert!(matches("*rm -rf*", "echo hi\nrm -rf /"));
        assert!(!matches("src/*", "tests/a.rs"));
    }

    #[test]
    fn backslashes_are_literal() {
        assert!(matches(r"printf 'a\nb'", r"printf 'a\nb'"));
        assert!(!matches(r"printf 'a\nb'", "printf 'anb'"));
    }

    #[test]
    fn invalid_patterns_match_nothing() {
        assert!(!matches("a[", "a["));
        assert!(!matches("{a", "{a"));
    }

    #[test]
    fn exact_pattern_matches_only_its_text() {
        let text = r"ls *.rs [ab]? {x,y} \* ]";
        let pattern = exact_pattern(text);
        assert!(matches(&pattern, text));
        assert!(!matches(&pattern, r"ls main.rs [ab]? {x,y} \* ]"));
        assert!(!matches(&pattern, r"ls *.rs a? x \* ]"));
    }
}
