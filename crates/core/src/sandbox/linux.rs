//! Applying a policy to the launcher's own process on Linux: `.git` read-only (mount
//! namespace), then Landlock, then seccomp. The order matters: Landlock forbids mounting,
//! and the seccomp filter forbids what the first two steps need.

mod landlock_rules;
mod mounts;
mod seccomp;

use std::path::{Path, PathBuf};

use super::grants;
use super::{LaunchError, SandboxPolicy};

/// What the launcher managed to enforce on this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Applied {
    pub git_read_only: bool,
    /// The kernel's Landlock ABI, when the rules are in force.
    pub landlock_abi: Option<i32>,
    pub seccomp: bool,
}

pub(crate) fn apply(policy: &SandboxPolicy) -> Result<Applied, LaunchError> {
    let cwd = std::env::current_dir().map_err(LaunchError::CurrentDir)?;
    // Built before anything is restricted: the walk reads directories the rules then hide.
    let plan = Plan::new(policy, &cwd);
    let filters = seccomp::filters(policy.network)?;

    let git_read_only = match &plan.git {
        Some(git) => mounts::make_read_only(git)?,
        None => false,
    };
    if git_read_only {
        // A working directory inside `.git` would still point below the new mount.
        std::env::set_current_dir(&cwd).map_err(LaunchError::CurrentDir)?;
    }
    let landlock_abi = landlock_rules::restrict(&plan)?;
    let seccomp = seccomp::install(&filters)?;
    Ok(Applied {
        git_read_only,
        landlock_abi,
        seccomp,
    })
}

/// The policy resolved against the file system as it is now.
#[derive(Debug)]
pub(crate) struct Plan {
    git: Option<PathBuf>,
    read_roots: Vec<PathBuf>,
    write_roots: Vec<PathBuf>,
    network: bool,
}

impl Plan {
    fn new(policy: &SandboxPolicy, cwd: &Path) -> Self {
        let work_area = resolve(&cwd.join(&policy.work_area));
        let write_roots: Vec<PathBuf> = std::iter::once(work_area.clone())
            .chain(std::iter::once(&policy.temp_dir).map(|p| resolve(&cwd.join(p))))
            .chain(policy.writable.iter().map(|p| resolve(&cwd.join(p))))
            .collect();
        // A hidden path is hidden under its own name and its resolved one (a symlinked
        // `~/.ssh`, or `/home` linked to `/var/home`). Beneath a write grant it cannot be
        // hidden (Landlock cannot subtract from a grant), so it is dropped from the walk.
        let mut hidden: Vec<PathBuf> = Vec::new();
        for path in &policy.hidden {
            let path = cwd.join(path);
            for candidate in [path.components().collect::<PathBuf>(), resolve(&path)] {
                let writable = write_roots.iter().any(|w| candidate.starts_with(w));
                if !writable && !hidden.contains(&candidate) {
                    hidden.push(candidate);
                }
            }
        }
        let git = work_area.join(".git");
        Self {
            git: git.exists().then_some(git),
            read_roots: grants::read_roots(&hidden, grants::list_dir),
            write_roots,
            network: policy.network,
        }
    }
}

/// `path` with symlinks resolved as far as it exists; the missing rest is appended as is.
fn resolve(path: &Path) -> PathBuf {
    let mut missing = Vec::new();
    let mut current = path;
    loop {
        if let Ok(real) = std::fs::canonicalize(current) {
            return missing.iter().rev().fold(real, |acc, name| acc.join(name));
        }
        match (current.parent(), current.file_name()) {
            (Some(parent), Some(name)) => {
                missing.push(name);
                current = parent;
            }
            _ => return path.components().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn resolve_keeps_the_missing_tail() {
        let dir = tempfile::tempdir().unwrap();
        let real = std::fs::canonicalize(dir.path()).unwrap();
        std::os::unix::fs::symlink(&real, real.join("link")).unwrap();
        assert_eq!(
            resolve(&real.join("link/missing/x")),
            real.join("missing/x")
        );
    }

    #[test]
    fn hidden_paths_beneath_a_write_grant_are_not_walked() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let policy = SandboxPolicy {
            work_area: root.join("w"),
            temp_dir: root.join("t"),
            writable: vec![],
            hidden: vec![root.join("w/.env"), root.join("secret")],
            network: false,
        };
        let plan = Plan::new(&policy, Path::new("/"));
        assert!(plan
            .read_roots
            .iter()
            .all(|r| !r.starts_with(root.join("secret"))));
        assert!(
            !plan.read_roots.contains(&root),
            "the directory holding a hidden path is split, not granted"
        );
        assert_eq!(plan.write_roots, vec![root.join("w"), root.join("t")]);
        assert_eq!(plan.git, None);
    }
}
