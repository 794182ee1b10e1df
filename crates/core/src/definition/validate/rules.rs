//! Permission rules: path globs for file tools, command words for bash, with examples a
//! bash rule must and must not match.

use serde_json::{Map, Value};

use super::{join, present, Checker};
use crate::agent::permissions::{command_from_glob, rule_matches_script};
use crate::definition::{
    PermissionAction, PermissionRule, RuleExamples, PERMISSION_RULES_MAX, TOOL_NAMES,
};

/// Most words a command rule may name, and how long each may be.
const COMMAND_WORDS_MAX: usize = 32;
const WORD_MAX_CHARS: usize = 1000;
const REASON_MAX_CHARS: usize = 500;
const EXAMPLES_MAX: usize = 20;

impl Checker<'_> {
    pub(super) fn permissions(&mut self, value: &Value) -> Option<Vec<PermissionRule>> {
        let Some(items) = value.as_array() else {
            self.fail_hint("permissions", "invalid_type", "expected a list of rules");
            return None;
        };
        if items.len() > PERMISSION_RULES_MAX {
            self.fail("permissions", "too_many_rules_200");
            return None;
        }
        let mut rules = Vec::with_capacity(items.len());
        let mut all_valid = true;
        for (index, item) in items.iter().enumerate() {
            match self.rule(&format!("permissions[{index}]"), item) {
                Some(rule) => rules.push(rule),
                None => all_valid = false,
            }
        }
        all_valid.then_some(rules)
    }

    fn rule(&mut self, path: &str, value: &Value) -> Option<PermissionRule> {
        let obj = self.object(
            path,
            value,
            &[
                "tool", "pattern", "command", "exact", "action", "reason", "examples",
            ],
        )?;
        let tool = self
            .sub(obj, path, "tool")
            .and_then(|v| self.string(&join(path, "tool"), v));
        let tool = tool.and_then(|tool| {
            if tool == "*" || TOOL_NAMES.contains(&tool.as_str()) {
                Some(tool)
            } else {
                self.fail_hint(
                    join(path, "tool"),
                    "unknown_tool",
                    format!("expected * or one of {}", TOOL_NAMES.join(", ")),
                );
                None
            }
        });
        let action = self
            .sub(obj, path, "action")
            .and_then(|v| match v.as_str() {
                Some("allow") => Some(PermissionAction::Allow),
                Some("ask") => Some(PermissionAction::Ask),
                Some("deny") => Some(PermissionAction::Deny),
                _ => {
                    self.fail_hint(
                        join(path, "action"),
                        "unknown_action",
                        "expected allow, ask or deny",
                    );
                    None
                }
            });
        let reason = match present(obj, "reason") {
            None => Some(None),
            Some(v) => self.string(&join(path, "reason"), v).and_then(|r| {
                let r = r.trim().to_owned();
                if r.chars().count() > REASON_MAX_CHARS {
                    self.fail(join(path, "reason"), "reason_too_long_500");
                    None
                } else {
                    Some((!r.is_empty()).then_some(r))
                }
            }),
        };
        let exact = match present(obj, "exact") {
            None => Some(false),
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.fail_hint(
                    join(path, "exact"),
                    "invalid_type",
                    "expected true or false",
                );
                None
            }
        };
        let tool = tool?;
        let (pattern, command) = if tool == "bash" {
            self.bash_target(path, obj)?
        } else {
            if present(obj, "command").is_some() {
                self.fail_hint(
                    join(path, "command"),
                    "command_only_for_bash",
                    "file tools match a path glob in `pattern`",
                );
            }
            if exact == Some(true) {
                self.fail(join(path, "exact"), "exact_only_for_bash");
            }
            (Some(self.pattern(path, obj)?), None)
        };
        let examples = match present(obj, "examples") {
            None => Some(RuleExamples::default()),
            Some(_) if tool != "bash" => {
                self.fail(join(path, "examples"), "examples_only_for_bash");
                None
            }
            Some(v) => self.examples(&join(path, "examples"), v),
        };
        let rule = PermissionRule {
            tool,
            pattern,
            command,
            exact: exact?,
            action: action?,
            reason: reason?,
            examples: examples?,
        };
        self.check_examples(path, &rule).then_some(rule)
    }

    fn pattern(&mut self, path: &str, obj: &Map<String, Value>) -> Option<String> {
        match present(obj, "pattern") {
            None => Some("*".to_owned()),
            Some(v) => self.string(&join(path, "pattern"), v).and_then(|p| {
                if p.is_empty() || p.len() > 1000 {
                    self.fail(join(path, "pattern"), "pattern_length_1_1000");
                    None
                } else {
                    Some(p)
                }
            }),
        }
    }

    /// A bash rule names `command` words. A `pattern` (a glob from before command rules) is
    /// converted when it says exactly "these words" or "these words, then anything"; any
    /// other glob is kept as a rule that matches nothing until edited.
    #[allow(clippy::type_complexity)]
    fn bash_target(
        &mut self,
        path: &str,
        obj: &Map<String, Value>,
    ) -> Option<(Option<String>, Option<Vec<String>>)> {
        match (present(obj, "command"), present(obj, "pattern")) {
            (Some(_), Some(_)) => {
                self.fail_hint(
                    join(path, "pattern"),
                    "pattern_or_command",
                    "a bash rule names its command in `command` only",
                );
                None
            }
            (Some(words), None) => self
                .command_words(&join(path, "command"), words)
                .map(|w| (None, Some(w))),
            (None, Some(_)) => {
                let pattern = self.pattern(path, obj)?;
                match command_from_glob(&pattern) {
                    Some((words, _)) => Some((None, Some(words))),
                    None => Some((Some(pattern), None)),
                }
            }
            (None, None) => {
                self.fail_hint(
                    join(path, "command"),
                    "required",
                    "name the command as words, such as [\"cargo\", \"test\"]",
                );
                None
            }
        }
    }

    fn command_words(&mut self, field: &str, value: &Value) -> Option<Vec<String>> {
        let Some(items) = value.as_array() else {
            self.fail_hint(
                field,
                "invalid_type",
                "expected a list of words, such as [\"cargo\", \"test\"]",
            );
            return None;
        };
        if items.is_empty() || items.len() > COMMAND_WORDS_MAX {
            self.fail(field, "command_words_1_32");
            return None;
        }
        let mut words = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let word_field = format!("{field}[{index}]");
            let word = self.string(&word_field, item)?;
            if word.is_empty() || word.chars().count() > WORD_MAX_CHARS || word.contains('\0') {
                self.fail(word_field, "word_length_1_1000");
                return None;
            }
            words.push(word);
        }
        Some(words)
    }

    fn examples(&mut self, field: &str, value: &Value) -> Option<RuleExamples> {
        let obj = self.object(field, value, &["matching", "not_matching"])?;
        let list = |checker: &mut Self, key: &str| -> Option<Vec<String>> {
            let list_field = join(field, key);
            let Some(value) = present(obj, key) else {
                return Some(Vec::new());
            };
            let Some(items) = value.as_array() else {
                checker.fail_hint(&list_field, "invalid_type", "expected a list of commands");
                return None;
            };
            if items.len() > EXAMPLES_MAX {
                checker.fail(&list_field, "too_many_examples_20");
                return None;
            }
            items
                .iter()
                .enumerate()
                .map(|(i, item)| checker.string(&format!("{list_field}[{i}]"), item))
                .collect()
        };
        let matching = list(self, "matching");
        let not_matching = list(self, "not_matching");
        Some(RuleExamples {
            matching: matching?,
            not_matching: not_matching?,
        })
    }

    /// Each example must be matched (or not) by the rule's command words.
    fn check_examples(&mut self, path: &str, rule: &PermissionRule) -> bool {
        let mut ok = true;
        for (index, example) in rule.examples.matching.iter().enumerate() {
            if !rule_matches_script(rule, example) {
                self.fail_hint(
                    format!("{path}.examples.matching[{index}]"),
                    "example_not_matched",
                    format!("the rule does not match `{example}`"),
                );
                ok = false;
            }
        }
        for (index, example) in rule.examples.not_matching.iter().enumerate() {
            if rule_matches_script(rule, example) {
                self.fail_hint(
                    format!("{path}.examples.not_matching[{index}]"),
                    "example_matched",
                    format!("the rule matches `{example}`"),
                );
                ok = false;
            }
        }
        ok
    }
}
