//! An automation's rules compiled once, for a run that matches every call against them.

use regex::bytes::Regex;

use super::{compiled, decide_script_with, resolve_with, shell, BashDecision};
use crate::definition::{PermissionAction, PermissionRule};

/// An automation's permission rules with their patterns compiled. A run matches every tool
/// call (and glob and grep every file they find) against the same few rules, and compiling
/// a glob costs far more than matching it. Decides as [`super::resolve`] and
/// [`super::decide_bash`] do.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    rules: Vec<PermissionRule>,
    /// Each rule's pattern, compiled; `None` when it has none, or an invalid one (which
    /// matches nothing).
    patterns: Vec<Option<Regex>>,
}

impl Rules {
    pub fn new(rules: Vec<PermissionRule>) -> Self {
        let patterns = rules.iter().map(compile).collect();
        Self { rules, patterns }
    }

    /// Adds a rule after the others (an "always" reply).
    pub fn push(&mut self, rule: PermissionRule) {
        self.patterns.push(compile(&rule));
        self.rules.push(rule);
    }

    pub fn as_slice(&self) -> &[PermissionRule] {
        &self.rules
    }

    /// See [`super::resolve`].
    pub fn resolve(&self, tool: &str, subject: &str) -> PermissionAction {
        resolve_with(&self.rules, tool, subject, &|index, text| {
            self.is_match(index, text)
        })
    }

    /// See [`super::decide_bash`].
    pub fn decide_bash(&self, command: &str) -> BashDecision {
        decide_script_with(
            &self.rules,
            command,
            &shell::parse(command),
            &|index, text| self.is_match(index, text),
        )
    }

    fn is_match(&self, index: usize, text: &str) -> bool {
        self.patterns
            .get(index)
            .and_then(Option::as_ref)
            .is_some_and(|regex| regex.is_match(text.as_bytes()))
    }
}

fn compile(rule: &PermissionRule) -> Option<Regex> {
    let pattern = rule.pattern.as_deref()?;
    match compiled(pattern) {
        Ok(regex) => Some(regex),
        Err(error) => {
            tracing::warn!(%pattern, %error, "permission rule has an invalid pattern; it matches nothing");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::permissions::{decide_bash, resolve};

    fn rules() -> Vec<PermissionRule> {
        vec![
            PermissionRule::path("*", "src/*", PermissionAction::Allow),
            PermissionRule::path("write", "src/generated/*", PermissionAction::Deny),
            PermissionRule::path("*", "*rm -rf*", PermissionAction::Deny),
            PermissionRule::path("read", "a[", PermissionAction::Deny),
            PermissionRule::command(["cargo", "test"], PermissionAction::Allow),
        ]
    }

    #[test]
    fn compiled_rules_decide_as_the_plain_ones() {
        let compiled = Rules::new(rules());
        for (tool, subject) in [
            ("read", "src/lib.rs"),
            ("write", "src/generated/x.rs"),
            ("write", "README.md"),
            ("read", "a["),
            ("edit", "src/a.rs"),
        ] {
            assert_eq!(
                compiled.resolve(tool, subject),
                resolve(&rules(), tool, subject),
                "{tool} {subject}"
            );
        }
        for command in ["cargo test --all", "cargo test && rm -rf /", "ls"] {
            assert_eq!(
                compiled.decide_bash(command),
                decide_bash(&rules(), command),
                "{command}"
            );
        }
    }

    #[test]
    fn a_pushed_rule_decides_after_the_others() {
        let mut compiled = Rules::new(rules());
        assert_eq!(
            compiled.resolve("write", "README.md"),
            PermissionAction::Ask
        );
        compiled.push(PermissionRule::path(
            "write",
            "README.md",
            PermissionAction::Allow,
        ));
        assert_eq!(
            compiled.resolve("write", "README.md"),
            PermissionAction::Allow
        );
        assert_eq!(compiled.as_slice().len(), rules().len() + 1);
    }
}
