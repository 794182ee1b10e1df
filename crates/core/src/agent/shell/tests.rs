use pretty_assertions::assert_eq;

use super::*;

fn argvs(script: &str) -> Vec<Vec<String>> {
    let parsed = parse(script);
    assert!(
        parsed.opaque.is_empty(),
        "{script:?} should be plain: {:?}",
        parsed.opaque
    );
    parsed.commands.into_iter().map(|c| c.argv).collect()
}

fn words(w: &[&str]) -> Vec<String> {
    w.iter().map(|s| s.to_string()).collect()
}

fn opaque(script: &str) -> Vec<String> {
    let parsed = parse(script);
    assert!(
        parsed.is_opaque(),
        "{script:?} should be opaque, read as {:?}",
        parsed.commands
    );
    parsed.opaque
}

#[test]
fn plain_commands_joined_by_operators_are_read_word_by_word() {
    assert_eq!(
        argvs("git status && cargo test --all || echo 'no luck'; ls -l | wc -l\npwd"),
        vec![
            words(&["git", "status"]),
            words(&["cargo", "test", "--all"]),
            words(&["echo", "no luck"]),
            words(&["ls", "-l"]),
            words(&["wc", "-l"]),
            words(&["pwd"]),
        ]
    );
}

#[test]
fn quotes_and_escapes_in_arguments_are_removed_as_bash_does() {
    assert_eq!(
        argvs(r#"grep -rn "a \"b\" \$c" 'd e'f g\ h"#),
        vec![words(&["grep", "-rn", r#"a "b" $c"#, "d ef", "g h"])]
    );
}

#[test]
fn one_plain_command_runs_directly_and_anything_for_a_shell_does_not() {
    assert_eq!(
        parse("cargo test --all").direct,
        Some(words(&["cargo", "test", "--all"]))
    );
    assert_eq!(parse("ls *.rs").direct, None, "a glob needs the shell");
    assert_eq!(parse("cat ~/x").direct, None, "a tilde needs the shell");
    assert_eq!(
        parse("cargo test 2>&1").direct,
        None,
        "a redirection needs the shell"
    );
    assert_eq!(parse("a && b").direct, None);
    assert_eq!(
        argvs("cargo test 2>&1 >/dev/null"),
        vec![words(&["cargo", "test"])]
    );
}

#[test]
fn wrappers_are_unwrapped_to_the_command_they_run() {
    let parsed = parse("timeout -s KILL 60 nice -n 5 env -i cargo test");
    assert_eq!(parsed.commands.len(), 1);
    assert_eq!(parsed.commands[0].argv, words(&["cargo", "test"]));
    assert_eq!(parsed.commands[0].via, words(&["timeout", "nice", "env"]));
    assert_eq!(
        argvs("bash -c 'git status; ls'"),
        vec![words(&["git", "status"]), words(&["ls"])]
    );
    assert_eq!(argvs("xargs -0 -n 1 rm -f"), vec![words(&["rm", "-f"])]);
    assert_eq!(
        argvs(r"find . -name '*.o' -exec rm {} \; -print"),
        vec![
            words(&["find", ".", "-name", "*.o", "-exec", "rm", "{}", ";", "-print"]),
            words(&["rm", "{}"])
        ]
    );
    assert_eq!(
        argvs("git --no-pager log -1"),
        vec![words(&["git", "log", "-1"])]
    );
}

#[test]
fn constructs_outside_plain_commands_are_opaque_with_a_reason() {
    for script in [
        "echo $(whoami)",
        "echo `whoami`",
        "diff <(ls) b",
        "echo $HOME",
        "X=1 cargo test",
        "(cd / && ls)",
        "{ ls; }",
        "sleep 1 &",
        "cat <<EOF\nhi\nEOF",
        "echo hi > out.txt",
        "if true; then ls; fi",
        "ls # note",
        "'git' status",
        r"g\it status",
        "$'git' status",
        "sudo ls",
        "eval ls",
        "git -c core.pager=sh log",
        "env X=1 ls",
        "xargs -I{} rm {}",
        "bash -c 'ls' extra",
        "ls |& cat",
        "echo 'unterminated",
        "sh -c \"sh -c 'sh -c \\\"sh -c ls\\\"'\"",
    ] {
        let reasons = opaque(script);
        assert!(!reasons.is_empty(), "{script:?}");
    }
}

#[test]
fn quote_writes_words_back_as_a_person_would_type_them() {
    assert_eq!(
        quote(&words(&["git", "commit", "-m", "it's done"])),
        r"git commit -m 'it'\''s done'"
    );
}

#[test]
fn a_line_break_the_parser_reads_as_a_blank_still_ends_the_command() {
    // tree-sitter-bash reads this as `git status rm -rf ~`; bash runs `rm -rf ~`.
    assert_eq!(
        argvs("git status | git status | git status\nrm -rf ~ && git status"),
        vec![
            words(&["git", "status"]),
            words(&["git", "status"]),
            words(&["git", "status"]),
            words(&["rm", "-rf", "~"]),
            words(&["git", "status"]),
        ]
    );
    // Inside a construct, splitting leaves a side that does not parse: opaque.
    opaque("(git status | git status | git status\nrm -rf ~ && git status)");
}
