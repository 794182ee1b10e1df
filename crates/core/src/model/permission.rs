//! Plain permission helpers the store needs too: the choices "Always allow" offers, and
//! converting a stored bash glob from before command rules. Matching rules against calls is
//! [`crate::agent::permissions`]'s.

use serde::Serialize;

use crate::model::definition::PermissionRule;

/// One choice "Always allow" offers: the rules it adds, and how people read them.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AlwaysOption {
    /// `allow exactly: cargo test -p core`, `allow cargo test …`.
    pub label: String,
    pub rules: Vec<PermissionRule>,
}

/// A stored bash glob from before command rules, as a command rule when it says exactly
/// "these words, then anything" (`cargo *`, `git status*`) or exactly one plain command
/// (`git status`, as an exact rule). `None` when it cannot be converted without changing
/// what it matches more than that.
pub fn command_from_glob(pattern: &str) -> Option<(Vec<String>, bool)> {
    let (body, exact) = match pattern
        .strip_suffix(" *")
        .or_else(|| pattern.strip_suffix('*'))
    {
        Some(body) => (body, false),
        None => (pattern, true),
    };
    if body.is_empty() {
        return None;
    }
    // The glob's literal text must be plain words: no metacharacters, no quoting.
    let plain = |c: char| c.is_ascii_alphanumeric() || "._-/+@:,%=".contains(c) || c == ' ';
    if !body.chars().all(plain) {
        return None;
    }
    let words: Vec<String> = body.split_whitespace().map(str::to_owned).collect();
    (words.join(" ") == body).then_some((words, exact))
}
