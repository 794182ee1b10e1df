//! Commands that run other commands: unwrapped where the inner command can be read from
//! the words, opaque where it cannot.

use super::{Command, Reader};

/// Run a command as someone else.
const PRIVILEGE: &[&str] = &["sudo", "doas", "su", "pkexec", "run0"];
/// Run code the words do not show (a string, a file, or the shell's own lookup rules).
const HIDDEN_CODE: &[&str] = &["eval", "exec", "source", ".", "command", "builtin", "trap"];
const SHELLS: &[&str] = &["sh", "bash", "dash", "zsh", "ksh", "ash", "mksh"];
/// git options before the subcommand that change nothing a rule cares about; every other
/// one (`-c`, `-C`, `--exec-path`, `--git-dir`, `--work-tree`, `--config-env`, ...) can
/// make git run a program named in its configuration, so the command is opaque.
const GIT_INERT_OPTIONS: &[&str] = &[
    "--no-pager",
    "-P",
    "--no-optional-locks",
    "--version",
    "--help",
];

impl Reader {
    /// Adds the command `argv` (or what it wraps) to the commands rules decide.
    pub(super) fn unwrap(&mut self, argv: Vec<String>, depth: usize, mut via: Vec<String>) {
        let Some(first) = argv.first() else {
            return;
        };
        // `/usr/bin/sudo` is `sudo`; rules still see the name as written.
        let name = first.rsplit('/').next().unwrap_or(first).to_owned();
        let rest = &argv[1..];
        let inner = match name.as_str() {
            n if PRIVILEGE.contains(&n) => {
                return self.fail(format!("`{n}` runs a command as another user"));
            }
            n if HIDDEN_CODE.contains(&n) => {
                return self.fail(format!("`{n}` runs code the rules cannot see"));
            }
            n if SHELLS.contains(&n) => match shell_script(n, rest) {
                Ok(Some(script)) => {
                    via.push(n.to_owned());
                    let script = script.to_owned();
                    return self.script(&script, depth + 1, &via);
                }
                // `bash script.sh` or a shell reading standard input: rules decide `bash`.
                Ok(None) => Ok(None),
                Err(reason) => return self.fail(reason),
            },
            "env" => env_inner(rest),
            "nohup" => Ok(Some(rest).filter(|r| !r.is_empty())),
            "time" => Ok(Some(skip_flags(rest, &["-p"])).filter(|r| !r.is_empty())),
            "nice" => nice_inner(rest),
            "timeout" => timeout_inner(rest),
            "xargs" => xargs_inner(rest),
            "find" => {
                return match find_execs(rest) {
                    Ok(execs) => {
                        self.push(argv.clone(), via.clone());
                        via.push("find".to_owned());
                        for exec in execs {
                            self.unwrap(exec.to_vec(), depth, via.clone());
                        }
                    }
                    Err(reason) => self.fail(reason),
                };
            }
            "git" => {
                let options = rest.iter().take_while(|a| a.starts_with('-')).count();
                if let Some(option) = rest[..options]
                    .iter()
                    .find(|o| !GIT_INERT_OPTIONS.contains(&o.as_str()))
                {
                    return self.fail(format!(
                        "`git {option}` before the subcommand can make git run other programs"
                    ));
                }
                let mut plain = vec![first.clone()];
                plain.extend(rest[options..].iter().cloned());
                return self.push(plain, via);
            }
            _ => Ok(None),
        };
        match inner {
            Ok(Some(inner)) => {
                via.push(name);
                self.unwrap(inner.to_vec(), depth, via);
            }
            Ok(None) => self.push(argv, via),
            Err(reason) => self.fail(reason),
        }
    }

    fn push(&mut self, argv: Vec<String>, via: Vec<String>) {
        self.commands.push(Command { argv, via });
    }
}

type Inner<'a> = Result<Option<&'a [String]>, String>;

/// `sh -c SCRIPT`, also with `-e`, `-u`, `-x`, `-l` in the same or earlier flags. `None`
/// when there is no `-c` (the shell runs a file or standard input).
fn shell_script<'a>(shell: &str, args: &'a [String]) -> Result<Option<&'a str>, String> {
    let mut index = 0;
    let mut command_mode = false;
    while let Some(arg) = args.get(index) {
        let Some(flags) = arg
            .strip_prefix('-')
            .filter(|f| !f.is_empty() && !f.starts_with('-'))
        else {
            break;
        };
        if !flags.chars().all(|f| "eulxc".contains(f)) {
            return Err(format!(
                "`{shell} {arg}`: shell options other than -c, -e, -u, -l, -x"
            ));
        }
        command_mode |= flags.contains('c');
        index += 1;
    }
    if !command_mode {
        return Ok(None);
    }
    match &args[index..] {
        [script] => Ok(Some(script.as_str())),
        [] => Err(format!("`{shell} -c` without a script")),
        _ => Err(format!(
            "`{shell} -c` with arguments after the script (they become $0, $1, ...)"
        )),
    }
}

/// `env [-i] [-u NAME] cmd ...`. Assignments and `-S` (which splits a string into a
/// command) are opaque; `env` alone prints the environment and is decided as itself.
fn env_inner(args: &[String]) -> Inner<'_> {
    let mut index = 0;
    while let Some(arg) = args.get(index) {
        match arg.as_str() {
            "-i" | "--ignore-environment" | "-" => index += 1,
            "-u" | "--unset" => index += 2,
            a if a.starts_with("--unset=") || (a.starts_with("-u") && a.len() > 2) => index += 1,
            a if a.starts_with('-') => return Err(format!("`env {a}`")),
            a if a.contains('=') => {
                return Err("a variable assignment through `env NAME=value`".to_owned())
            }
            _ => break,
        }
    }
    Ok(args.get(index..).filter(|inner| !inner.is_empty()))
}

fn skip_flags<'a>(args: &'a [String], flags: &[&str]) -> &'a [String] {
    let skipped = args
        .iter()
        .take_while(|a| flags.contains(&a.as_str()))
        .count();
    &args[skipped..]
}

/// `nice [-n N | -N | --adjustment=N] cmd ...`
fn nice_inner(args: &[String]) -> Inner<'_> {
    let mut index = 0;
    while let Some(arg) = args.get(index) {
        match arg.as_str() {
            "-n" | "--adjustment" => index += 2,
            a if a.starts_with("--adjustment=") || a.starts_with("-n") => index += 1,
            a if a.len() > 1
                && a.starts_with('-')
                && a[1..].chars().all(|c| c.is_ascii_digit()) =>
            {
                index += 1
            }
            a if a.starts_with('-') => return Err(format!("`nice {a}`")),
            _ => break,
        }
    }
    Ok(args.get(index..).filter(|inner| !inner.is_empty()))
}

/// `timeout [options] DURATION cmd ...`
fn timeout_inner(args: &[String]) -> Inner<'_> {
    let mut index = 0;
    while let Some(arg) = args.get(index) {
        match arg.as_str() {
            "-s" | "--signal" | "-k" | "--kill-after" => index += 2,
            "--preserve-status" | "--foreground" | "-v" | "--verbose" => index += 1,
            a if a.starts_with("--signal=") || a.starts_with("--kill-after=") => index += 1,
            a if a.starts_with('-') => return Err(format!("`timeout {a}`")),
            _ => break,
        }
    }
    // The duration, then the command.
    match args.get(index + 1..) {
        Some(inner) if !inner.is_empty() => Ok(Some(inner)),
        _ => Err("`timeout` without a command".to_owned()),
    }
}

/// `xargs [options] cmd ...`: the command gets more arguments from standard input, which a
/// prefix rule covers. `-I`/`-i` put input inside the command's words, so they are opaque.
fn xargs_inner(args: &[String]) -> Inner<'_> {
    const FLAGS: &[&str] = &[
        "-0",
        "--null",
        "-r",
        "--no-run-if-empty",
        "-t",
        "--verbose",
        "-x",
        "--exit",
    ];
    const WITH_VALUE: &[&str] = &[
        "-n",
        "-L",
        "-P",
        "-s",
        "-d",
        "-a",
        "-E",
        "--max-args",
        "--max-lines",
        "--max-procs",
        "--max-chars",
        "--delimiter",
        "--arg-file",
    ];
    let mut index = 0;
    while let Some(arg) = args.get(index) {
        let a = arg.as_str();
        let option = a.split('=').next().unwrap_or(a);
        let attached = a.len() > 2
            && a.get(..2)
                .is_some_and(|o| ["-n", "-L", "-P", "-s", "-d"].contains(&o));
        if FLAGS.contains(&a) {
            index += 1;
        } else if WITH_VALUE.contains(&a) {
            index += 2;
        } else if (a.starts_with("--") && a.contains('=') && WITH_VALUE.contains(&option))
            || attached
        {
            index += 1;
        } else if a.starts_with('-') {
            return Err(format!(
                "`xargs {a}` (with -I or -i the input lands inside the command)"
            ));
        } else {
            break;
        }
    }
    // Without a command xargs runs `echo`; rules then decide `xargs` itself.
    Ok(args.get(index..).filter(|inner| !inner.is_empty()))
}

/// The commands of `find`'s `-exec`/`-execdir`/`-ok`/`-okdir` actions, each up to its `;`
/// or `+`.
fn find_execs(args: &[String]) -> Result<Vec<&[String]>, String> {
    let mut execs = Vec::new();
    let mut index = 0;
    while let Some(arg) = args.get(index) {
        index += 1;
        if !matches!(arg.as_str(), "-exec" | "-execdir" | "-ok" | "-okdir") {
            continue;
        }
        let start = index;
        let end = args[start..]
            .iter()
            .position(|a| a == ";" || a == "+")
            .map(|offset| start + offset)
            .ok_or_else(|| format!("`find {arg}` without its `;` or `+`"))?;
        if end == start {
            return Err(format!("`find {arg}` without a command"));
        }
        execs.push(&args[start..end]);
        index = end + 1;
    }
    Ok(execs)
}
