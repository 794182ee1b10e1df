//! What a bash call would run, read from its parsed form before anything runs.
//!
//! A script is parsed with tree-sitter-bash and reduced to *plain commands*: words only
//! (no expansion bash would do at run time), joined by `&&`, `||`, `;`, `|` or newlines.
//! Every construct outside that small set makes the script *opaque*, with a reason:
//! substitutions, parameter expansion, assignments, subshells and groups, `&`, here-docs,
//! redirections other than a few inert ones, control flow, comments, parse errors. We list
//! what is known to be plain instead of what is known to be dangerous, so a construct we
//! did not think of is opaque too.
//!
//! Wrappers that run another command (`env`, `nohup`, `time`, `nice`, `timeout`, `xargs`,
//! `find -exec`, `sh -c`, `bash -c`) are unwrapped so rules see the inner command; wrappers
//! whose inner command cannot be read safely (`sudo`, `eval`, `exec`, `source`, `git -c`,
//! `xargs -I`, `env -S`, ...) are opaque.

mod unwrap;
mod words;

use tree_sitter::{Node, Parser};

/// How deep `sh -c 'sh -c ...'` may nest before the script counts as opaque.
const MAX_NESTING: usize = 3;

/// The parsed form of a bash call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// Every plain command found, wrappers unwrapped, in order. For an opaque script these
    /// are the ones that could still be read (a deny rule still applies to them).
    pub commands: Vec<Command>,
    /// Why the script is opaque (empty when it is plain). No allow rule matches an opaque
    /// script.
    pub opaque: Vec<String>,
    /// The argv to run without a shell, when the script is one plain command with nothing
    /// for a shell to do (no glob, tilde, brace or redirection).
    pub direct: Option<Vec<String>>,
}

impl Script {
    pub fn is_opaque(&self) -> bool {
        !self.opaque.is_empty()
    }
}

/// One plain command as rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The words as bash passes them (quotes removed), after unwrapping wrappers and
    /// dropping inert git options (`--no-pager`).
    pub argv: Vec<String>,
    /// The wrappers around it, outermost first (`["timeout", "nice"]`), for people.
    pub via: Vec<String>,
}

/// Parses `script`. Never fails: what cannot be read is opaque, with the reason.
pub fn parse(script: &str) -> Script {
    let mut reader = Reader::default();
    reader.script(script, 0, &[]);
    // tree-sitter-bash sometimes reads a line break as a blank inside a command (after a
    // pipeline, say). Bash always ends a simple command at an unquoted line break, so read
    // the two sides apart; a line break that was inside some construct leaves a side that
    // does not parse, which is opaque.
    if let Some(at) = reader.misread_line_break {
        let (before, after) = (&script[..at], &script[at + 1..]);
        let (before, after) = (parse(before), parse(after));
        let mut opaque = before.opaque;
        for reason in after.opaque {
            if !opaque.contains(&reason) {
                opaque.push(reason);
            }
        }
        let mut commands = before.commands;
        commands.extend(after.commands);
        return Script {
            commands,
            opaque,
            direct: None,
        };
    }
    let direct = match (reader.opaque.is_empty(), reader.statements.as_slice()) {
        (true, [only]) if !only.needs_shell => Some(only.argv.clone()),
        _ => None,
    };
    Script {
        commands: reader.commands,
        opaque: reader.opaque,
        direct,
    }
}

/// A simple command as written (before unwrapping).
struct Statement {
    argv: Vec<String>,
    needs_shell: bool,
}

#[derive(Default)]
struct Reader {
    commands: Vec<Command>,
    opaque: Vec<String>,
    /// The top-level script's simple commands (not those inside `sh -c`).
    statements: Vec<Statement>,
    /// Where the parser took a top-level line break for a blank inside a command.
    misread_line_break: Option<usize>,
}

impl Reader {
    fn fail(&mut self, reason: impl Into<String>) {
        let reason = reason.into();
        if !self.opaque.contains(&reason) {
            self.opaque.push(reason);
        }
    }

    fn script(&mut self, source: &str, depth: usize, via: &[String]) {
        if depth > MAX_NESTING {
            self.fail("shells nested more than three deep");
            return;
        }
        if source.contains('\0') {
            self.fail("a NUL byte in the script");
            return;
        }
        let Some(tree) = parse_tree(source) else {
            self.fail("the script could not be parsed");
            return;
        };
        let root = tree.root_node();
        if root.has_error() {
            self.fail("the script does not parse as bash");
        }
        let text = Text(source.as_bytes());
        self.statements_of(root, text, depth, via);
    }

    /// A node that holds statements: the program, a list (`&&`/`||`) or a pipeline.
    fn statements_of(&mut self, node: Node, text: Text, depth: usize, via: &[String]) {
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            if !child.is_named() {
                match child.kind() {
                    ";" | "\n" | "&&" | "||" | "|" => {}
                    "&" => self.fail("a command sent to the background (`&`)"),
                    "|&" => self.fail("a pipe of standard error (`|&`)"),
                    other => self.fail(format!("`{}` in the script", other.trim())),
                }
                continue;
            }
            self.statement(child, text, depth, via);
        }
    }

    fn statement(&mut self, node: Node, text: Text, depth: usize, via: &[String]) {
        if node.is_error() || node.is_missing() {
            self.fail("the script does not parse as bash");
            return;
        }
        match node.kind() {
            "list" | "pipeline" => self.statements_of(node, text, depth, via),
            "command" => self.command(node, text, depth, via, false),
            "redirected_statement" => self.redirected(node, text, depth, via),
            other => self.fail(describe(other)),
        }
    }

    /// `cmd 2>&1`, `cmd >/dev/null`: a statement with redirections, plain only when every
    /// redirection is inert.
    fn redirected(&mut self, node: Node, text: Text, depth: usize, via: &[String]) {
        let mut cursor = node.walk();
        let mut body = None;
        for child in node.children(&mut cursor) {
            match child.kind() {
                "file_redirect" => self.redirect(child, text),
                "heredoc_redirect" | "herestring_redirect" => self.fail(describe(child.kind())),
                _ if body.is_none() && child.is_named() => body = Some(child),
                other => self.fail(describe(other)),
            }
        }
        match body {
            Some(body) if body.kind() == "command" => self.command(body, text, depth, via, true),
            // A redirected list or pipeline runs through a shell anyway (it has several
            // statements), so reading it is enough.
            Some(body) => self.statement(body, text, depth, via),
            None => self.fail("a redirection without a command"),
        }
    }

    fn redirect(&mut self, node: Node, text: Text) {
        let written: String = text.of(node).split_whitespace().collect();
        if !words::is_inert_redirect(&written) {
            self.fail(format!("the redirection `{}`", text.of(node).trim()));
        }
    }

    fn command(&mut self, node: Node, text: Text, depth: usize, via: &[String], redirected: bool) {
        let mut argv = Vec::new();
        let mut needs_shell = redirected;
        let mut cursor = node.walk();
        let mut previous_end = None;
        for child in node.children(&mut cursor) {
            // Between the words of one command bash sees only blanks. tree-sitter-bash has
            // been seen to read a line break after a pipeline as such a blank, joining two
            // commands into one; whatever it took for a gap makes the script opaque.
            if let Some(end) = previous_end {
                let gap = text.between(end, child.start_byte());
                if !is_blank_gap(gap) {
                    let line_break = gap
                        .filter(|gap| !gap.contains('\\'))
                        .and_then(|gap| gap.find('\n'));
                    match line_break {
                        Some(offset) if depth == 0 && self.misread_line_break.is_none() => {
                            self.misread_line_break = Some(end + offset);
                        }
                        _ => {
                            self.fail("a command the parser reads across a line break or operator")
                        }
                    }
                    return;
                }
            }
            previous_end = Some(child.end_byte());
            match child.kind() {
                "command_name" => match words::command_name(child, text) {
                    Ok(name) => argv.push(name),
                    Err(reason) => {
                        self.fail(reason);
                        return;
                    }
                },
                "file_redirect" => {
                    self.redirect(child, text);
                    needs_shell = true;
                }
                "variable_assignment" => {
                    self.fail("a variable assignment before the command (`NAME=value cmd`)");
                    return;
                }
                _ if child.is_named() => match words::word(child, text) {
                    Ok(word) => {
                        needs_shell |= word.needs_shell;
                        argv.push(word.text);
                    }
                    Err(reason) => {
                        self.fail(reason);
                        return;
                    }
                },
                other => {
                    self.fail(format!("`{}` in a command", other.trim()));
                    return;
                }
            }
        }
        if argv.is_empty() {
            self.fail("a statement without a command");
            return;
        }
        if depth == 0 {
            self.statements.push(Statement {
                argv: argv.clone(),
                needs_shell,
            });
        }
        self.unwrap(argv, depth, via.to_vec());
    }
}

/// Words as a person would type them: plain words as they are, others in single quotes.
pub fn quote(words: &[String]) -> String {
    words
        .iter()
        .map(|word| {
            let plain = !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-/+@:,%=".contains(c));
            if plain {
                word.clone()
            } else {
                format!("'{}'", word.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

thread_local! {
    /// A parser per thread: making one and loading the grammar costs more than a parse.
    static PARSER: std::cell::RefCell<Option<Parser>> = const { std::cell::RefCell::new(None) };
}

fn parse_tree(source: &str) -> Option<tree_sitter::Tree> {
    PARSER.with(|cell| {
        let mut slot = cell.try_borrow_mut().ok()?;
        if slot.is_none() {
            let mut parser = Parser::new();
            parser
                .set_language(&tree_sitter_bash::LANGUAGE.into())
                .ok()?;
            *slot = Some(parser);
        }
        slot.as_mut()?.parse(source, None)
    })
}

/// Byte slices of the parsed source.
#[derive(Clone, Copy)]
struct Text<'a>(&'a [u8]);

impl<'a> Text<'a> {
    fn of(self, node: Node) -> &'a str {
        std::str::from_utf8(&self.0[node.byte_range()]).unwrap_or("")
    }

    /// The source between two byte offsets (`None` for an impossible range).
    fn between(self, start: usize, end: usize) -> Option<&'a str> {
        self.0
            .get(start..end)
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
    }
}

/// Spaces, tabs and backslash-newline continuations only.
fn is_blank_gap(gap: Option<&str>) -> bool {
    let Some(gap) = gap else { return false };
    gap.replace("\\\n", "")
        .chars()
        .all(|c| c == ' ' || c == '\t')
}

/// Why a construct is opaque, in words a person reading the checker understands.
fn describe(kind: &str) -> String {
    let what = match kind {
        "command_substitution" => "command substitution (`$(...)` or backticks)",
        "process_substitution" => "process substitution (`<(...)`)",
        "subshell" => "a subshell (`( ... )`)",
        "compound_statement" => "a command group (`{ ...; }`)",
        "heredoc_redirect" => "a here-document",
        "herestring_redirect" => "a here-string (`<<<`)",
        "variable_assignment" | "variable_assignments" => "a variable assignment",
        "declaration_command" => "a declaration (`export`, `declare`, `local`)",
        "unset_command" => "`unset`",
        "negated_command" => "a negated command (`!`)",
        "comment" => "a comment (comments can hide what a parser and bash read differently)",
        "function_definition" => "a function definition",
        "if_statement"
        | "case_statement"
        | "while_statement"
        | "for_statement"
        | "c_style_for_statement" => "control flow (`if`, `case`, `for`, `while`)",
        "test_command" => "a test (`[[ ... ]]`)",
        "ERROR" => "the script does not parse as bash",
        other => return format!("`{other}` in the script"),
    };
    what.to_owned()
}

#[cfg(test)]
mod tests;
