//! Words as bash passes them: quotes removed, escapes resolved, and anything bash would
//! expand at run time refused (variables, substitutions) or flagged (globs, tildes, braces).

use tree_sitter::Node;

use super::{describe, Text};

/// Redirections that change nothing outside the process: merging standard error into
/// standard output, or throwing output away.
const INERT_REDIRECTS: &[&str] = &[
    "2>&1",
    ">&2",
    "1>&2",
    ">/dev/null",
    "1>/dev/null",
    "2>/dev/null",
    "&>/dev/null",
    "</dev/null",
    "0</dev/null",
];

/// Characters a command name may have. Anything else (quotes, escapes, globs, `$`) hides
/// the name from rules, so the command is opaque.
fn plain_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._-/+@:,%".contains(c)
}

pub(super) fn is_inert_redirect(written: &str) -> bool {
    INERT_REDIRECTS.contains(&written)
}

/// A word with its quotes removed.
pub(super) struct Word {
    pub text: String,
    /// Bash would still expand it (glob, tilde, brace), so it must run through a shell.
    pub needs_shell: bool,
}

/// The command's name, written plainly (no quoting, escaping or expansion).
pub(super) fn command_name(node: Node, text: Text) -> Result<String, String> {
    let name = text.of(node);
    let only_word = node.named_child_count() == 1
        && node
            .named_child(0)
            .is_some_and(|child| child.kind() == "word");
    if !only_word || name.is_empty() || !name.chars().all(plain_name_char) {
        return Err(format!(
            "the command name `{}` is quoted, escaped or expanded",
            name.trim()
        ));
    }
    Ok(name.to_owned())
}

/// An argument: a word, a number, a quoted string, or a concatenation of those.
pub(super) fn word(node: Node, text: Text) -> Result<Word, String> {
    match node.kind() {
        "word" => unquoted(text.of(node)),
        "number" => {
            let digits = text.of(node);
            if digits
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                Ok(literal(digits.to_owned()))
            } else {
                Err(format!("the number `{digits}`"))
            }
        }
        "raw_string" => {
            let quoted = text.of(node);
            let inner = quoted
                .strip_prefix('\'')
                .and_then(|rest| rest.strip_suffix('\''))
                .ok_or_else(|| format!("the quoted text {quoted}"))?;
            Ok(literal(inner.to_owned()))
        }
        "string" => double_quoted(node, text),
        "concatenation" => {
            let mut joined = literal(String::new());
            let mut cursor = node.walk();
            for part in node.children(&mut cursor) {
                if !part.is_named() {
                    return Err(format!("the word `{}`", text.of(node)));
                }
                let part = word(part, text)?;
                joined.text.push_str(&part.text);
                joined.needs_shell |= part.needs_shell;
            }
            Ok(joined)
        }
        other => Err(describe(match other {
            "simple_expansion" | "expansion" => "parameter expansion (`$NAME`, `${...}`)",
            "arithmetic_expansion" => "arithmetic expansion (`$((...))`)",
            "ansi_c_string" => "ANSI-C quoting (`$'...'`)",
            "translated_string" => "locale quoting (`$\"...\"`)",
            "brace_expression" => "brace expansion (`{1..3}`)",
            other => other,
        })),
    }
}

fn literal(text: String) -> Word {
    Word {
        text,
        needs_shell: false,
    }
}

/// An unquoted word: `\x` is `x`, a backslash-newline disappears; `$` and backticks are
/// expansions (refused); `*`, `?`, `[`, `{`, `~` are left for the shell to expand.
fn unquoted(raw: &str) -> Result<Word, String> {
    let mut out = String::with_capacity(raw.len());
    let mut needs_shell = false;
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('\n') | None => {}
                Some(escaped) => out.push(escaped),
            },
            '$' | '`' => return Err(format!("an expansion in the word `{raw}`")),
            '*' | '?' | '[' | '{' | '}' | '~' => {
                needs_shell = true;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    Ok(Word {
        text: out,
        needs_shell,
    })
}

/// `"..."` with nothing but text inside: `\$`, `` \` ``, `\"`, `\\` and backslash-newline
/// are escapes; any other backslash is itself.
fn double_quoted(node: Node, text: Text) -> Result<Word, String> {
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        if child.is_named() && child.kind() != "string_content" {
            return Err(describe(match child.kind() {
                "simple_expansion" | "expansion" => "parameter expansion (`$NAME`, `${...}`)",
                other => other,
            }));
        }
    }
    let quoted = text.of(node);
    let inner = quoted
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .ok_or_else(|| format!("the quoted text {quoted}"))?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some('$' | '`' | '"' | '\\') => out.extend(chars.next()),
                Some('\n') => {
                    chars.next();
                }
                _ => out.push('\\'),
            },
            '$' | '`' => return Err(format!("an expansion in the quoted text {quoted}")),
            _ => out.push(c),
        }
    }
    Ok(literal(out))
}
