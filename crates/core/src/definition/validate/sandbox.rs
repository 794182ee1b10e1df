//! The sandbox settings: mode, network, and the extra writable paths.

use std::path::Path;

use serde_json::Value;

use super::{present, Checker};
use crate::definition::{SandboxMode, SandboxSettings};

/// Most extra writable paths an automation may list.
const WRITABLE_MAX: usize = 32;
/// Most extra environment variables an automation may pass.
const ENV_MAX: usize = 64;

impl Checker<'_> {
    pub(super) fn sandbox(&mut self, value: &Value) -> Option<SandboxSettings> {
        let obj = self.object("sandbox", value, &["mode", "network", "writable", "env"])?;
        let mode = match present(obj, "mode") {
            None => Some(SandboxMode::Enforce),
            Some(v) => self.choice(
                "sandbox.mode",
                v,
                &[("enforce", SandboxMode::Enforce), ("off", SandboxMode::Off)],
            ),
        };
        let network = match present(obj, "network") {
            None => Some(false),
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.fail_hint("sandbox.network", "invalid_type", "expected true or false");
                None
            }
        };
        let writable = match present(obj, "writable") {
            None => Some(Vec::new()),
            Some(v) => self.writable(v),
        };
        let env = match present(obj, "env") {
            None => Some(Vec::new()),
            Some(v) => self.env_names(v),
        };
        Some(SandboxSettings {
            mode: mode?,
            network: network?,
            writable: writable?,
            env: env?,
        })
    }

    /// Variable names (`NAME`, letters, digits and `_`); Autowork's own are refused.
    fn env_names(&mut self, value: &Value) -> Option<Vec<String>> {
        let Some(items) = value.as_array() else {
            self.fail_hint(
                "sandbox.env",
                "invalid_type",
                "expected a list of variable names",
            );
            return None;
        };
        if items.len() > ENV_MAX {
            self.fail("sandbox.env", "too_many_names_64");
            return None;
        }
        let mut names = Vec::with_capacity(items.len());
        let mut ok = true;
        for (index, item) in items.iter().enumerate() {
            let field = format!("sandbox.env[{index}]");
            let Some(name) = self.string(&field, item) else {
                ok = false;
                continue;
            };
            let valid = name.len() <= 128
                && name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                self.fail_hint(
                    &field,
                    "invalid_variable_name",
                    "letters, digits and _, not starting with a digit",
                );
                ok = false;
            } else if name.starts_with("AUTOWORK_") {
                self.fail_hint(
                    &field,
                    "reserved_variable",
                    "Autowork's own settings are never passed to commands",
                );
                ok = false;
            } else {
                names.push(name);
            }
        }
        ok.then_some(names)
    }

    /// Absolute paths of existing files or directories, canonicalized so the sandbox grants
    /// what the user meant even through a symlink.
    fn writable(&mut self, value: &Value) -> Option<Vec<String>> {
        let Some(items) = value.as_array() else {
            self.fail_hint(
                "sandbox.writable",
                "invalid_type",
                "expected a list of absolute paths",
            );
            return None;
        };
        if items.len() > WRITABLE_MAX {
            self.fail("sandbox.writable", "too_many_paths_32");
            return None;
        }
        let mut paths = Vec::with_capacity(items.len());
        let mut ok = true;
        for (index, item) in items.iter().enumerate() {
            let field = format!("sandbox.writable[{index}]");
            let Some(text) = self.string(&field, item) else {
                ok = false;
                continue;
            };
            let path = Path::new(&text);
            if !path.is_absolute() {
                self.fail_hint(&field, "path_not_absolute", "write the whole path, from /");
                ok = false;
                continue;
            }
            match path.canonicalize() {
                Ok(real) if real == Path::new("/") => {
                    self.fail_hint(
                        &field,
                        "path_too_broad",
                        "the whole file system cannot be writable; name a directory",
                    );
                    ok = false;
                }
                Ok(real) => paths.push(real.display().to_string()),
                Err(_) => {
                    self.fail_hint(&field, "path_not_found", format!("{text} does not exist"));
                    ok = false;
                }
            }
        }
        ok.then_some(paths)
    }
}
