//! Whether a tool call may run: allow, ask the user, or deny, by the automation's rules.
//!
//! **File tools** match a glob over the workspace-relative path (read, list, write, edit,
//! the search root of glob and grep). The last matching rule wins, so later rules refine
//! earlier ones. Pattern syntax is globset's: `*` and `?` match any character including
//! `/` (`src/*` covers everything under `src/`), and a backslash is an ordinary character;
//! put a literal metacharacter in brackets (`[*]`), as [`exact_pattern`] does.
//!
//! **bash** calls are parsed first ([`super::shell`]). Each plain command is matched by
//! its words against the bash rules: `["cargo", "test"]` matches `cargo test --all` but
//! not `cargo testx`; an `exact` rule matches only those words. The most specific matching
//! rule decides a command (the longest prefix; an exact rule before a prefix of the same
//! length; then the strictest). A call is allowed only when every command in it is; the
//! strictest decision wins (deny over ask over allow). An opaque call (substitutions,
//! redirections to files, subshells, ...) is never allowed by a rule: it asks, unless a
//! command that could be read is denied. A `*` rule with pattern `*` counts as the empty
//! prefix; other `*` globs are matched against the command text only to deny or ask,
//! never to allow.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use globset::GlobBuilder;
use regex::bytes::{Regex, RegexBuilder};
use serde::Serialize;

use super::shell::{self, Script};
use crate::definition::{PermissionAction, PermissionRule};

mod rules;

pub use crate::model::permission::{command_from_glob, AlwaysOption};
pub use rules::Rules;

/// Whether the pattern of rule `index` matches a text: how the compiled [`Rules`] and the
/// functions on plain rules share one decision.
type Matcher<'a> = &'a dyn Fn(usize, &str) -> bool;

/// Matches rules' patterns through the process-wide cache of compiled patterns.
fn cached(rules: &[PermissionRule]) -> impl Fn(usize, &str) -> bool + '_ {
    |index, text| {
        rules[index]
            .pattern
            .as_deref()
            .is_some_and(|pattern| matches(pattern, text))
    }
}

/// The action for a file-tool call: the last rule whose tool (`*` or the tool's name) and
/// pattern match the subject, or [`default_action`] when none does. bash calls go through
/// [`decide_bash`] instead. A run decides through its compiled [`Rules`].
pub fn resolve(rules: &[PermissionRule], tool: &str, subject: &str) -> PermissionAction {
    resolve_with(rules, tool, subject, &cached(rules))
}

fn resolve_with(
    rules: &[PermissionRule],
    tool: &str,
    subject: &str,
    matcher: Matcher<'_>,
) -> PermissionAction {
    rules
        .iter()
        .enumerate()
        .rev()
        .find(|(index, rule)| {
            (rule.tool == "*" || rule.tool == tool)
                && rule.command.is_none()
                && rule.pattern.is_some()
                && matcher(*index, subject)
        })
        .map(|(_, rule)| rule.action)
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

/// How a bash call was decided, command by command: what the checker prints and what a
/// blocker explains.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BashDecision {
    /// The strictest of the commands' actions, or `ask` for an opaque script.
    pub action: PermissionAction,
    pub commands: Vec<CommandDecision>,
    /// Why no rule can allow the script (empty when it is plain).
    pub opaque: Vec<String>,
    /// `*` rules whose glob matches the command text and make it stricter.
    pub text_rules: Vec<RuleRef>,
}

/// One plain command of a bash call and the rule behind its action.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandDecision {
    pub argv: Vec<String>,
    /// Wrappers it was found in, outermost first (`timeout`, `sh`).
    pub via: Vec<String>,
    pub action: PermissionAction,
    /// The deciding rule; `None` when the default (ask) applies.
    pub rule: Option<RuleRef>,
}

/// A rule by its position in the automation's list, with its reason.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleRef {
    /// 0-based position in `permissions`.
    pub index: u32,
    /// The rule in one line ([`describe_rule`]).
    pub rule: String,
    pub reason: Option<String>,
}

impl BashDecision {
    /// One line for a person: why this call asks or is denied.
    pub fn explain(&self) -> String {
        if self.action == PermissionAction::Allow {
            return "every command is allowed by a rule".to_owned();
        }
        if let Some(denied) = self
            .commands
            .iter()
            .find(|c| c.action == PermissionAction::Deny)
        {
            return format!(
                "`{}` is denied{}",
                denied.argv.join(" "),
                because(&denied.rule)
            );
        }
        if let Some(rule) = self.text_rules.first() {
            return format!(
                "a rule on the command text asks{}",
                because(&Some(rule.clone()))
            );
        }
        if !self.opaque.is_empty() {
            return format!(
                "no rule can allow this script: it uses {}",
                self.opaque.join("; ")
            );
        }
        let asking: Vec<String> = self
            .commands
            .iter()
            .filter(|c| c.action == PermissionAction::Ask)
            .map(|c| format!("`{}`", c.argv.join(" ")))
            .collect();
        format!("no rule allows {}", asking.join(", "))
    }
}

fn because(rule: &Option<RuleRef>) -> String {
    match rule {
        Some(RuleRef {
            index,
            reason: Some(reason),
            ..
        }) => format!(" by rule {}: {reason}", index + 1),
        Some(RuleRef { index, .. }) => format!(" by rule {}", index + 1),
        None => String::new(),
    }
}

/// Decides a bash call by its parsed form.
pub fn decide_bash(rules: &[PermissionRule], command: &str) -> BashDecision {
    decide_script(rules, command, &shell::parse(command))
}

/// Decides an already parsed script (`text` is what was parsed).
pub fn decide_script(rules: &[PermissionRule], text: &str, script: &Script) -> BashDecision {
    decide_script_with(rules, text, script, &cached(rules))
}

fn decide_script_with(
    rules: &[PermissionRule],
    text: &str,
    script: &Script,
    matcher: Matcher<'_>,
) -> BashDecision {
    let commands: Vec<CommandDecision> = script
        .commands
        .iter()
        .map(|command| {
            let (action, rule) = decide_command(rules, &command.argv);
            CommandDecision {
                argv: command.argv.clone(),
                via: command.via.clone(),
                action,
                rule,
            }
        })
        .collect();
    let text_rules: Vec<(PermissionAction, RuleRef)> = rules
        .iter()
        .enumerate()
        .filter(|(_, rule)| rule.tool == "*" && rule.action != PermissionAction::Allow)
        .filter(|(index, rule)| {
            rule.pattern.as_deref().is_some_and(|p| p != "*") && matcher(*index, text)
        })
        .map(|(index, rule)| (rule.action, rule_ref(index, rule)))
        .collect();

    let mut action = commands
        .iter()
        .map(|c| c.action)
        .chain(text_rules.iter().map(|(action, _)| *action))
        .fold(PermissionAction::Allow, strictest);
    if script.is_opaque() || commands.is_empty() {
        action = strictest(action, PermissionAction::Ask);
    }
    BashDecision {
        action,
        commands,
        opaque: script.opaque.clone(),
        text_rules: text_rules.into_iter().map(|(_, rule)| rule).collect(),
    }
}

/// The action for one plain command: the most specific matching rule, else ask.
pub fn decide_command(
    rules: &[PermissionRule],
    argv: &[String],
) -> (PermissionAction, Option<RuleRef>) {
    rules
        .iter()
        .enumerate()
        .filter_map(|(index, rule)| {
            command_match(rule, argv).map(|(length, exact)| (length, exact, index, rule))
        })
        .max_by_key(|(length, exact, _, rule)| (*length, *exact, severity(rule.action)))
        .map(|(_, _, index, rule)| (rule.action, Some(rule_ref(index, rule))))
        .unwrap_or((default_action("bash"), None))
}

/// How many words of `argv` the rule matches (and whether exactly), or `None`.
fn command_match(rule: &PermissionRule, argv: &[String]) -> Option<(usize, bool)> {
    match (&rule.command, rule.tool.as_str()) {
        (Some(words), "bash") if rule.exact => {
            (argv == words.as_slice()).then_some((words.len(), true))
        }
        (Some(words), "bash") => argv.starts_with(words).then_some((words.len(), false)),
        (None, "*") if rule.pattern.as_deref() == Some("*") => Some((0, false)),
        _ => None,
    }
}

fn rule_ref(index: usize, rule: &PermissionRule) -> RuleRef {
    RuleRef {
        index: u32::try_from(index).unwrap_or(u32::MAX),
        rule: describe_rule(rule),
        reason: rule.reason.clone(),
    }
}

fn severity(action: PermissionAction) -> u8 {
    match action {
        PermissionAction::Allow => 0,
        PermissionAction::Ask => 1,
        PermissionAction::Deny => 2,
    }
}

/// The stricter of two actions.
pub fn strictest(a: PermissionAction, b: PermissionAction) -> PermissionAction {
    if severity(a) >= severity(b) {
        a
    } else {
        b
    }
}

/// Whether a bash rule matches `command` (a whole script): every plain command in it is
/// matched by the rule. Used to check a rule's examples.
pub fn rule_matches_script(rule: &PermissionRule, command: &str) -> bool {
    let script = shell::parse(command);
    !script.is_opaque()
        && !script.commands.is_empty()
        && script
            .commands
            .iter()
            .all(|c| command_match(rule, &c.argv).is_some())
}

/// The rules "Always allow" adds after the user approves a call, so approving one thing
/// never approves more: for bash, an exact rule per command that asked (none for an opaque
/// script, which no rule can allow); for file tools, the exact path.
pub fn always_rules(tool: &str, subject: &str, bash: Option<&BashDecision>) -> Vec<PermissionRule> {
    match bash {
        Some(decision) if decision.opaque.is_empty() => decision
            .commands
            .iter()
            .filter(|c| c.action == PermissionAction::Ask)
            .map(|c| PermissionRule {
                exact: true,
                ..PermissionRule::command(c.argv.clone(), PermissionAction::Allow)
            })
            .collect(),
        Some(_) => Vec::new(),
        None => vec![PermissionRule::path(
            tool,
            &exact_pattern(subject),
            PermissionAction::Allow,
        )],
    }
}

/// Commands that run whatever their arguments say: a one-word prefix of these would allow
/// anything, so the widest choice keeps two words.
const RUNS_ANYTHING: &[&str] = &[
    "bash", "sh", "dash", "zsh", "fish", "ksh", "python", "python3", "node", "deno", "bun", "perl",
    "ruby", "php", "lua", "env", "xargs", "nohup", "time", "nice", "timeout", "npx", "uvx", "pipx",
    "find",
];

/// What "Always allow" may add, narrowest first: the exact rules of [`always_rules`], then
/// ever shorter command prefixes (bash) or ever wider folders (file tools), for the user to
/// pick. Empty for an opaque script, which no rule can allow.
pub fn always_options(tool: &str, subject: &str, bash: Option<&BashDecision>) -> Vec<AlwaysOption> {
    let option = |rules: Vec<PermissionRule>| AlwaysOption {
        label: rules
            .iter()
            .map(describe_rule)
            .collect::<Vec<_>>()
            .join("; "),
        rules,
    };
    let exact = always_rules(tool, subject, bash);
    if exact.is_empty() {
        return Vec::new();
    }
    let mut options = vec![option(exact)];
    let mut push = |rules: Vec<PermissionRule>| {
        if !rules.is_empty() && !options.iter().any(|o| o.rules == rules) {
            options.push(option(rules));
        }
    };
    match bash {
        Some(decision) => {
            let asked: Vec<&Vec<String>> = decision
                .commands
                .iter()
                .filter(|c| c.action == PermissionAction::Ask)
                .map(|c| &c.argv)
                .collect();
            let longest = asked.iter().map(|argv| argv.len()).max().unwrap_or(0);
            for depth in (1..=longest).rev() {
                let rules: Option<Vec<PermissionRule>> = asked
                    .iter()
                    .map(|argv| {
                        let floor = if RUNS_ANYTHING.contains(&argv[0].as_str()) {
                            2
                        } else {
                            1
                        };
                        let words = depth.min(argv.len());
                        (words >= floor.min(argv.len())).then(|| {
                            PermissionRule::command(argv[..words].to_vec(), PermissionAction::Allow)
                        })
                    })
                    .collect();
                if let Some(mut rules) = rules {
                    rules.dedup();
                    push(rules);
                }
            }
        }
        None => {
            // Each folder above the path, deepest first, then the whole work directory.
            let mut folder = std::path::Path::new(subject).parent();
            while let Some(dir) = folder.filter(|d| !d.as_os_str().is_empty()) {
                let pattern = format!("{}/*", exact_pattern(&dir.to_string_lossy()));
                push(vec![PermissionRule::path(
                    tool,
                    &pattern,
                    PermissionAction::Allow,
                )]);
                folder = dir.parent();
            }
            push(vec![PermissionRule::path(
                tool,
                "*",
                PermissionAction::Allow,
            )]);
        }
    }
    options
}

/// A rule in one line for people: `allow bash: cargo test …`, `allow exactly: cargo fmt`,
/// `deny write: secrets/*`.
pub fn describe_rule(rule: &PermissionRule) -> String {
    let action = rule.action.as_str();
    match (&rule.command, &rule.pattern) {
        (Some(words), _) if rule.exact => format!("{action} exactly: {}", shell::quote(words)),
        (Some(words), _) => format!("{action} {} …", shell::quote(words)),
        (None, Some(pattern)) if rule.tool == "bash" => {
            format!("{action} bash `{pattern}` (a glob from before command rules: edit it, it matches nothing)")
        }
        (None, Some(pattern)) => format!("{action} {}: {pattern}", rule.tool),
        (None, None) => format!("{action} {}", rule.tool),
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
    match compiled(pattern) {
        Ok(regex) => regex.is_match(subject.as_bytes()),
        Err(error) => {
            tracing::warn!(%pattern, %error, "permission rule has an invalid pattern; it matches nothing");
            false
        }
    }
}

/// Compiling a glob costs far more than matching it, and the same few rules are matched on
/// every call: compiled patterns are kept (up to a bound, then the cache starts over).
fn compiled(pattern: &str) -> Result<Regex, String> {
    const CACHE_MAX: usize = 1024;
    static CACHE: OnceLock<Mutex<HashMap<String, Result<Regex, String>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    if let Ok(cache) = cache.lock() {
        if let Some(found) = cache.get(pattern) {
            return found.clone();
        }
    }
    let result = compile(pattern);
    if let Ok(mut cache) = cache.lock() {
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
        cache.insert(pattern.to_owned(), result.clone());
    }
    result
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

    #[test]
    fn globs_convert_to_command_rules_only_when_exact() {
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            command_from_glob("cargo *"),
            Some((words(&["cargo"]), false))
        );
        assert_eq!(
            command_from_glob("cargo test *"),
            Some((words(&["cargo", "test"]), false))
        );
        assert_eq!(
            command_from_glob("git status"),
            Some((words(&["git", "status"]), true))
        );
        assert_eq!(command_from_glob("*"), None);
        assert_eq!(command_from_glob("git * && ls"), None);
        assert_eq!(command_from_glob("*rm -rf*"), None);
        assert_eq!(command_from_glob("npm run [a-z]*"), None);
        assert_eq!(command_from_glob("echo  two"), None);
    }
}
