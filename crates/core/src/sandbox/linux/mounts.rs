//! `.git` read-only: a read-only bind mount of `.git` onto itself, in a private mount
//! namespace (inside a new user namespace when not root), so the change is this process's
//! and its children's alone.

use std::path::Path;

use nix::mount::{mount, MsFlags};
use nix::sched::{unshare, CloneFlags};
use nix::sys::statvfs::{statvfs, FsFlags};
use nix::unistd::{getegid, geteuid};

use crate::sandbox::LaunchError;

const NONE: Option<&str> = None;

/// Makes `git` (a repository's `.git` directory, or a worktree's `.git` file) read-only.
/// `Ok(false)` when namespaces or mounts are not available here; nothing else changed then.
pub(super) fn make_read_only(git: &Path) -> Result<bool, LaunchError> {
    if !enter_mount_namespace()? {
        return Ok(false);
    }
    // Private first, so the bind mounts below never propagate back to the host.
    if mount(NONE, "/", NONE, MsFlags::MS_REC | MsFlags::MS_PRIVATE, NONE).is_err() {
        return Ok(false);
    }
    if mount(
        Some(git),
        git,
        NONE,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        NONE,
    )
    .is_err()
    {
        return Ok(false);
    }
    let flags = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY | locked_flags(git);
    Ok(mount(NONE, git, NONE, flags, NONE).is_ok())
}

/// `Ok(false)`: no namespace could be created (a multi-threaded caller, user namespaces
/// disabled, or a container that forbids `unshare`).
fn enter_mount_namespace() -> Result<bool, LaunchError> {
    if geteuid().is_root() && unshare(CloneFlags::CLONE_NEWNS).is_ok() {
        return Ok(true);
    }
    let (uid, gid) = (geteuid(), getegid());
    if unshare(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWNS).is_err() {
        return Ok(false);
    }
    // From here a failure would leave the command running as an unmapped `nobody` that
    // cannot write its own files: stop instead.
    let write = |what: &'static str, text: String| {
        std::fs::write(what, text).map_err(|source| LaunchError::UserNamespace { what, source })
    };
    match write("/proc/self/setgroups", "deny".into()) {
        // Kernels before 3.19 have no such file, and need no denial.
        Err(LaunchError::UserNamespace { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound => {}
        other => other?,
    }
    write("/proc/self/uid_map", format!("{uid} {uid} 1\n"))?;
    write("/proc/self/gid_map", format!("{gid} {gid} 1\n"))?;
    Ok(true)
}

/// Flags a remount must keep: inside a user namespace the kernel refuses to clear
/// `nosuid`, `nodev` or `noexec` that the original mount had.
fn locked_flags(path: &Path) -> MsFlags {
    let Ok(stat) = statvfs(path) else {
        return MsFlags::empty();
    };
    let flags = stat.flags();
    [
        (FsFlags::ST_NOSUID, MsFlags::MS_NOSUID),
        (FsFlags::ST_NODEV, MsFlags::MS_NODEV),
        (FsFlags::ST_NOEXEC, MsFlags::MS_NOEXEC),
    ]
    .into_iter()
    .filter(|(st, _)| flags.contains(*st))
    .fold(MsFlags::empty(), |acc, (_, ms)| acc | ms)
}
