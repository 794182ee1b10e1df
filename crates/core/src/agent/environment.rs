//! The environment a run's commands get: an allow-list of the engine's variables, never
//! the provider keys or Autowork's own settings.

use std::ffi::OsString;

use crate::secrets;

/// Variables commands need to behave as in the user's terminal and to build: locale,
/// terminal, home and the common toolchains' settings.
const PASSED: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LANGUAGE",
    "TERM",
    "COLORTERM",
    "TZ",
    "NO_COLOR",
    "XDG_CACHE_HOME",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_RUNTIME_DIR",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "RUSTUP_TOOLCHAIN",
    "CARGO_TARGET_DIR",
    "GOPATH",
    "GOROOT",
    "GOCACHE",
    "GOMODCACHE",
    "GOFLAGS",
    "JAVA_HOME",
    "GRADLE_USER_HOME",
    "MAVEN_OPTS",
    "NVM_DIR",
    "NODE_PATH",
    "PYENV_ROOT",
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
    "PKG_CONFIG_PATH",
    "CC",
    "CXX",
    "CFLAGS",
    "CXXFLAGS",
    "LDFLAGS",
    "LD_LIBRARY_PATH",
    "LIBRARY_PATH",
    "CPATH",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
];

/// The variables a command starts with: the allow-list and the names the automation
/// lists (`sandbox.env`), minus Autowork's own (`AUTOWORK_*`) and any whose value holds a
/// known secret (a provider key), whatever its name.
pub fn for_commands(listed: &[String]) -> Vec<(OsString, OsString)> {
    std::env::vars_os()
        .filter(|(name, value)| {
            let Some(name) = name.to_str() else {
                return false;
            };
            let wanted = PASSED.contains(&name)
                || name.starts_with("LC_")
                || listed.iter().any(|l| l == name);
            let value = value.to_string_lossy();
            wanted && !name.starts_with("AUTOWORK_") && secrets::redact(&value) == value
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_shell_variables() {
        for name in PASSED {
            assert!(
                name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{name}"
            );
        }
    }
}
