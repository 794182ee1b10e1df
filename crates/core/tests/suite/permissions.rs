//! Permission resolution: which rule decides a tool call, and what "always" adds.

use autowork_core::agent::permissions::{always_rules, decide_bash, default_action, resolve};
use autowork_core::definition::{PermissionAction, PermissionRule, TOOL_NAMES};
use pretty_assertions::assert_eq;

use PermissionAction::{Allow, Ask, Deny};

fn rule(tool: &str, pattern: &str, action: PermissionAction) -> PermissionRule {
    PermissionRule::path(tool, pattern, action)
}

fn cmd(words: &[&str], action: PermissionAction) -> PermissionRule {
    PermissionRule::command(words.iter().copied(), action)
}

fn bash(rules: &[PermissionRule], command: &str) -> PermissionAction {
    decide_bash(rules, command).action
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
    assert_eq!(bash(&[], "ls"), Ask, "a command without a rule asks");
}

#[test]
fn the_last_matching_path_rule_wins() {
    let rules = [
        rule("write", "*", Deny),
        rule("write", "src/*", Allow),
        rule("write", "src/generated/*", Ask),
    ];
    assert_eq!(resolve(&rules, "write", "src/lib.rs"), Allow);
    assert_eq!(resolve(&rules, "write", "src/generated/a.rs"), Ask);
    assert_eq!(resolve(&rules, "write", "Cargo.toml"), Deny);
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
fn star_tool_rules_apply_to_every_file_tool() {
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
fn command_rules_match_whole_words_as_a_prefix() {
    let rules = [cmd(&["cargo", "test"], Allow)];
    assert_eq!(bash(&rules, "cargo test"), Allow);
    assert_eq!(bash(&rules, "cargo test --all -- --nocapture"), Allow);
    assert_eq!(bash(&rules, "cargo testx"), Ask);
    assert_eq!(bash(&rules, "cargo"), Ask);
    assert_eq!(bash(&rules, "cargo build"), Ask);
}

#[test]
fn the_most_specific_command_rule_wins_then_the_strictest() {
    let rules = [
        cmd(&["git", "push"], Deny),
        cmd(&["git"], Allow),
        cmd(&["git", "status"], Ask),
        cmd(&["git", "status"], Allow),
    ];
    assert_eq!(bash(&rules, "git log"), Allow);
    assert_eq!(
        bash(&rules, "git push origin main"),
        Deny,
        "longer prefix beats the broad allow"
    );
    assert_eq!(
        bash(&rules, "git status"),
        Ask,
        "same length: the stricter one"
    );
    let exact = PermissionRule {
        exact: true,
        ..cmd(&["git", "push", "--dry-run"], Allow)
    };
    assert_eq!(
        bash(&[rules[0].clone(), exact.clone()], "git push --dry-run"),
        Allow
    );
    assert_eq!(
        bash(&[rules[0].clone(), exact], "git push --dry-run --force"),
        Deny
    );
}

#[test]
fn a_script_is_allowed_only_when_every_command_is_and_the_strictest_wins() {
    let rules = [cmd(&["cargo"], Allow), cmd(&["rm"], Deny)];
    assert_eq!(bash(&rules, "cargo fmt && cargo test"), Allow);
    assert_eq!(bash(&rules, "cargo fmt && ls"), Ask);
    assert_eq!(bash(&rules, "ls; rm -rf target"), Deny);
    assert_eq!(
        bash(&rules, "echo $(cat x); rm -rf target"),
        Deny,
        "a denied command still denies an opaque script"
    );
}

#[test]
fn a_star_rule_allows_plain_commands_but_never_an_opaque_script() {
    let rules = [rule("*", "*", Allow)];
    assert_eq!(bash(&rules, "anything --goes && ls"), Allow);
    assert_eq!(bash(&rules, "echo $(id)"), Ask);
}

#[test]
fn star_globs_still_deny_on_the_command_text_but_never_allow() {
    let rules = [
        cmd(&["sh"], Allow),
        rule("*", "*secret*", Deny),
        rule("*", "*ls*", Allow),
    ];
    assert_eq!(bash(&rules, "sh -c 'cat secret.txt'"), Deny);
    assert_eq!(bash(&rules, "ls"), Ask);
}

#[test]
fn a_glob_rule_kept_from_before_matches_nothing() {
    let legacy = PermissionRule {
        tool: "bash".into(),
        pattern: Some("git * && ls".into()),
        command: None,
        ..cmd(&["x"], Allow)
    };
    assert!(legacy.needs_edit());
    assert_eq!(bash(&[legacy], "git status && ls"), Ask);
}

#[test]
fn always_adds_an_exact_rule_per_command_that_asked() {
    let rules = vec![cmd(&["cargo"], Allow)];
    let decision = decide_bash(&rules, "cargo fmt && rm -rf target && cargo test");
    let added = always_rules("bash", "", Some(&decision));
    assert_eq!(
        added,
        vec![PermissionRule {
            exact: true,
            ..cmd(&["rm", "-rf", "target"], Allow)
        }]
    );
    let mut rules = rules;
    rules.extend(added);
    assert_eq!(bash(&rules, "rm -rf target"), Allow);
    assert_eq!(bash(&rules, "rm -rf target/../.."), Ask);
    assert_eq!(bash(&rules, "rm -rf target; rm -rf /"), Ask);
}

#[test]
fn always_is_not_offered_for_an_opaque_script() {
    let decision = decide_bash(&[], "echo $(id)");
    assert_eq!(always_rules("bash", "echo $(id)", Some(&decision)), vec![]);
}

#[test]
fn always_allows_exactly_the_approved_path() {
    let rules = always_rules("edit", "src/lib.rs", None);
    assert_eq!(resolve(&rules, "edit", "src/lib.rs"), Allow);
    assert_eq!(resolve(&rules, "edit", "src/lib.rs.bak"), Ask);
    assert_eq!(
        resolve(&rules, "write", "src/lib.rs"),
        Ask,
        "approving edit is not write"
    );
}

#[test]
fn the_decision_explains_itself() {
    let rules = vec![PermissionRule {
        reason: Some("never delete".into()),
        ..cmd(&["rm"], Deny)
    }];
    assert_eq!(
        decide_bash(&rules, "ls && rm x").explain(),
        "`rm x` is denied by rule 1: never delete"
    );
    assert_eq!(
        decide_bash(&rules, "ls && pwd").explain(),
        "no rule allows `ls`, `pwd`"
    );
    assert!(decide_bash(&rules, "echo `id`")
        .explain()
        .starts_with("no rule can allow this script: it uses command substitution"));
}

fn labels(options: &[autowork_core::agent::permissions::AlwaysOption]) -> Vec<&str> {
    options.iter().map(|o| o.label.as_str()).collect()
}

#[test]
fn always_offers_the_exact_rule_then_ever_shorter_prefixes() {
    use autowork_core::agent::permissions::always_options;
    let decision = decide_bash(&[], "cargo test -p core");
    let options = always_options("bash", "", Some(&decision));
    assert_eq!(
        labels(&options),
        vec![
            "allow exactly: cargo test -p core",
            "allow cargo test -p core …",
            "allow cargo test -p …",
            "allow cargo test …",
            "allow cargo …",
        ]
    );
    // The user's pick allows what it says and no more.
    let picked = options[3].rules.clone();
    assert_eq!(bash(&picked, "cargo test --all"), Allow);
    assert_eq!(bash(&picked, "cargo build"), Ask);
}

#[test]
fn always_never_offers_a_one_word_prefix_of_a_command_that_runs_anything() {
    use autowork_core::agent::permissions::always_options;
    let decision = decide_bash(&[], "python3 scripts/report.py --weekly");
    let options = always_options("bash", "", Some(&decision));
    assert_eq!(
        labels(&options).last().copied(),
        Some("allow python3 scripts/report.py …")
    );
    assert!(always_options("bash", "", Some(&decide_bash(&[], "echo $(id)"))).is_empty());
}

#[test]
fn always_offers_every_asked_command_of_a_script_at_each_depth() {
    use autowork_core::agent::permissions::always_options;
    let rules = vec![cmd(&["ls"], Allow)];
    let decision = decide_bash(&rules, "ls && git commit -m wip && npm run lint");
    let options = always_options("bash", "", Some(&decision));
    assert_eq!(
        labels(&options),
        vec![
            "allow exactly: git commit -m wip; allow exactly: npm run lint",
            "allow git commit -m wip …; allow npm run lint …",
            "allow git commit -m …; allow npm run lint …",
            "allow git commit …; allow npm run …",
            "allow git …; allow npm …",
        ]
    );
}

#[test]
fn always_offers_the_path_then_its_folders_then_everything() {
    use autowork_core::agent::permissions::always_options;
    let options = always_options("edit", "src/agent/turn.rs", None);
    assert_eq!(
        labels(&options),
        vec![
            "allow edit: src/agent/turn.rs",
            "allow edit: src/agent/*",
            "allow edit: src/*",
            "allow edit: *",
        ]
    );
    assert_eq!(resolve(&options[1].rules, "edit", "src/agent/x.rs"), Allow);
    assert_eq!(resolve(&options[1].rules, "edit", "src/lib.rs"), Ask);
    // Brackets in a folder name stay literal.
    let odd = always_options("write", "a[1]/b.txt", None);
    assert_eq!(resolve(&odd[1].rules, "write", "a[1]/c.txt"), Allow);
    assert_eq!(resolve(&odd[1].rules, "write", "a1/c.txt"), Ask);
}
