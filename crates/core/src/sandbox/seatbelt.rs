//! The macOS Seatbelt profile for `sandbox-exec -p`. Plain text generation, compiled on
//! every system so its tests run everywhere. Seatbelt can subtract, so unlike Landlock a
//! hidden path stays hidden even beneath a write grant, and `.git` is excluded from writes
//! by the profile itself.

use std::path::{Path, PathBuf};

use super::SandboxPolicy;

/// What every command needs besides files: processes, its own signals, system
/// information, terminals and the services libc looks users and time zones up with.
const BASE: &str = r#"(version 1)
(deny default)
(allow process-exec)
(allow process-fork)
(allow process-info* (target same-sandbox))
(allow signal (target same-sandbox))
(allow sysctl-read)
(allow pseudo-tty)
(allow ipc-posix-sem)
(allow ipc-posix-shm)
(allow mach-lookup
  (global-name "com.apple.system.opendirectoryd.libinfo")
  (global-name "com.apple.system.notification_center")
  (global-name "com.apple.system.logger")
  (global-name "com.apple.logd")
  (global-name "com.apple.timed")
  (global-name "com.apple.trustd.agent"))
(allow file-ioctl (literal "/dev/tty") (regex #"^/dev/ttys[0-9]+$"))
(allow file-write-data
  (literal "/dev/null")
  (literal "/dev/zero")
  (literal "/dev/tty")
  (regex #"^/dev/ttys[0-9]+$"))
"#;

/// The Seatbelt profile for `policy`: reads everywhere but the hidden paths, writes only
/// beneath the work area, the temp dir and the writable paths, never to `.git` or a hidden
/// path; the network only when the policy allows it.
pub fn seatbelt_profile(policy: &SandboxPolicy) -> String {
    let hidden: Vec<String> = policy
        .hidden
        .iter()
        .map(|p| format!("(require-not (subpath {}))", quote(&real(p))))
        .collect();
    let mut profile = String::from(BASE);

    profile.push_str("(allow file-read*");
    if !hidden.is_empty() {
        profile.push_str(&format!(" (require-all {})", hidden.join(" ")));
    }
    profile.push_str(")\n");

    let writable: Vec<String> = [&policy.work_area, &policy.temp_dir]
        .into_iter()
        .chain(&policy.writable)
        .map(|p| format!("(subpath {})", quote(&real(p))))
        .collect();
    let git = real(&policy.git_path());
    profile.push_str(&format!(
        "(allow file-write* (require-all (require-any {}) (require-not (subpath {})){}{}))\n",
        writable.join(" "),
        quote(&git),
        if hidden.is_empty() { "" } else { " " },
        hidden.join(" "),
    ));

    if policy.network {
        profile.push_str("(allow network*)\n(allow system-socket)\n(allow mach-lookup (global-name \"com.apple.dnssd.service\"))\n");
    }
    profile
}

/// Seatbelt matches resolved paths (`/tmp` is `/private/tmp`); a missing path is kept.
fn real(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A Scheme string literal. macOS paths are UTF-8; anything else is replaced, which can
/// only make a rule match less.
fn quote(path: &Path) -> String {
    let text = path.to_string_lossy();
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn policy(network: bool) -> SandboxPolicy {
        SandboxPolicy {
            work_area: "/nonexistent/w".into(),
            temp_dir: "/nonexistent/t".into(),
            writable: vec!["/nonexistent/cache dir".into()],
            hidden: vec!["/nonexistent/h/.ssh".into(), "/nonexistent/data".into()],
            network,
        }
    }

    #[test]
    fn profile_denies_by_default_and_hides_secrets_from_reads_and_writes() {
        let profile = seatbelt_profile(&policy(false));
        assert!(profile.starts_with("(version 1)\n(deny default)\n"));
        let hide = r#"(require-not (subpath "/nonexistent/h/.ssh")) (require-not (subpath "/nonexistent/data"))"#;
        let lines: Vec<&str> = profile
            .lines()
            .filter(|l| l.starts_with("(allow file-"))
            .collect();
        assert_eq!(
            lines,
            vec![
                r#"(allow file-ioctl (literal "/dev/tty") (regex #"^/dev/ttys[0-9]+$"))"#,
                "(allow file-write-data",
                &format!("(allow file-read* (require-all {hide}))"),
                &format!(
                    r#"(allow file-write* (require-all (require-any (subpath "/nonexistent/w") (subpath "/nonexistent/t") (subpath "/nonexistent/cache dir")) (require-not (subpath "/nonexistent/w/.git")) {hide}))"#
                ),
            ]
        );
        assert!(
            !profile.contains("network"),
            "no network rule when it is off"
        );
    }

    #[test]
    fn network_is_allowed_only_when_the_policy_says_so() {
        assert!(seatbelt_profile(&policy(true)).contains("(allow network*)\n"));
    }

    #[test]
    fn nothing_hidden_allows_every_read() {
        let mut policy = policy(false);
        policy.hidden.clear();
        let profile = seatbelt_profile(&policy);
        assert!(profile.contains("(allow file-read*)\n"));
        assert!(profile.contains(r#"(require-not (subpath "/nonexistent/w/.git"))))"#));
    }

    #[test]
    fn paths_are_scheme_strings() {
        assert_eq!(quote(Path::new(r#"/a "b"\c"#)), r#""/a \"b\"\\c""#);
        let mut policy = policy(false);
        policy.work_area = r#"/x"(allow network*)"#.into();
        let profile = seatbelt_profile(&policy);
        assert!(
            profile.contains(r#"(subpath "/x\"(allow network*)")"#),
            "{profile}"
        );
        assert!(
            !profile.contains("\n(allow network*)"),
            "a path cannot inject a rule"
        );
    }
}
