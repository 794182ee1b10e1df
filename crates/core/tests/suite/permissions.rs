//! Permission resolution: which rule decides a tool call, and what "always" adds.

use autowork_core::agent::permissions::{always_rule, default_action, resolve};
use autowork_core::definition::{PermissionAction, PermissionRule, TOOL_NAMES};
use pretty_assertions::assert_eq;

use PermissionAction::{Allow, Ask, Deny};

fn rule(tool: &str, pattern: &str, action: PermissionAction) -> PermissionRule {
    PermissionRule {
        tool: tool.into(),
        pattern: pattern.into(),
        action,
    }
}

#[test]
fn without_rules_looking_is_allowed_and_changing_asks() {
    let defaults: Vec<_> = TOOL_NAMES
        .iter()
        .map(|tool| (*tool, resolve(&[], tool, "anything")))
        .collect();
    assert_eq!(
        defaults,
        vec![
            ("read", Allow),
            ("list", Allow),
            ("glob", Allow),
            ("grep", Allow),
            ("write", Ask),
            ("edit", Ask),
            ("bash", Ask),
            ("question", Allow),
        ]
    );
    assert_eq!(default_action("unknown"), Ask, "an unknown tool asks");
}

#[test]
fn the_last_matching_rule_wins() {
    let rules = [
        rule("bash", "*", Deny),
        rule("bash", "cargo *", Allow),
        rule("bash", "cargo publish*", Ask),
    ];
    assert_eq!(resolve(&rules, "bash", "cargo test"), Allow);
    assert_eq!(resolve(&rules, "bash", "cargo publish --dry-run"), Ask);
    assert_eq!(resolve(&rules, "bash", "rm -rf /"), Deny);
}

#[test]
fn rules_for_other_tools_do_not_apply_and_unmatched_calls_get_the_default() {
    let rules = [rule("write", "*", Allow), rule("read", "secrets/*", Deny)];
    assert_eq!(resolve(&rules, "edit", "src/lib.rs"), Ask);
    assert_eq!(resolve(&rules, "read", "src/lib.rs"), Allow);
    assert_eq!(resolve(&rules, "read", "secrets/prod/key.pem"), Deny);
    assert_eq!(resolve(&rules, "write", "anything/at/all"), Allow);
}

#[test]
fn star_tool_rules_apply_to_every_tool() {
    let rules = [
        rule("*", "vendor/*", Deny),
        rule("read", "vendor/README.md", Allow),
    ];
    for tool in ["read", "list", "grep", "write", "edit"] {
        assert_eq!(resolve(&rules, tool, "vendor/lib/x.c"), Deny, "{tool}");
    }
    assert_eq!(resolve(&rules, "read", "vendor/README.md"), Allow);
    assert_eq!(resolve(&rules, "edit", "vendor/README.md"), Deny);
}

#[test]
fn star_matches_across_slashes_in_paths_and_commands() {
    let rules = [rule("edit", "src/*", Allow), rule("bash", "git *", Allow)];
    assert_eq!(resolve(&rules, "edit", "src/deep/er/mod.rs"), Allow);
    assert_eq!(resolve(&rules, "edit", "tests/a.rs"), Ask);
    assert_eq!(resolve(&rules, "bash", "git log -- src/lib.rs"), Allow);
    assert_eq!(resolve(&rules, "bash", "gitk"), Ask);
}

#[test]
fn deny_rules_see_past_newlines_in_commands() {
    let rules = [rule("bash", "*", Allow), rule("bash", "*rm -rf*", Deny)];
    assert_eq!(resolve(&rules, "bash", "echo hi\nrm -rf build"), Deny);
}

#[test]
fn an_invalid_stored_pattern_matches_nothing() {
    let rules = [rule("bash", "*", Allow), rule("bash", "[unclosed", Deny)];
    assert_eq!(resolve(&rules, "bash", "[unclosed"), Allow);
}

#[test]
fn always_allows_exactly_the_approved_command_and_no_more() {
    let command = r"ls *.rs | grep -E 'a{2}\d' && echo [ok]?";
    let always = always_rule("bash", command);
    assert_eq!((always.tool.as_str(), always.action), ("bash", Allow));
    let rules = [always];
    assert_eq!(resolve(&rules, "bash", command), Allow);
    assert_eq!(
        resolve(
            &rules,
            "bash",
            r"ls main.rs | grep -E 'a{2}\d' && echo [ok]?"
        ),
        Ask
    );
    assert_eq!(
        resolve(&rules, "bash", &format!("{command}; rm -rf /")),
        Ask
    );
    assert_eq!(resolve(&rules, "bash", "ls"), Ask);
}

#[test]
fn always_allows_exactly_the_approved_path() {
    let rules = [always_rule("edit", "src/lib.rs")];
    assert_eq!(resolve(&rules, "edit", "src/lib.rs"), Allow);
    assert_eq!(resolve(&rules, "edit", "src/lib.rs.bak"), Ask);
    assert_eq!(
        resolve(&rules, "write", "src/lib.rs"),
        Ask,
        "approving edit is not write"
    );
}

#[test]
fn always_after_a_broader_ask_rule_wins_because_it_comes_last() {
    let mut rules = vec![rule("bash", "rm *", Ask)];
    rules.push(always_rule("bash", "rm -r target"));
    assert_eq!(resolve(&rules, "bash", "rm -r target"), Allow);
    assert_eq!(resolve(&rules, "bash", "rm -r src"), Ask);
}
