//! Path confinement: every path a tool touches resolves inside the work directory.
//!
//! Relative paths resolve against the work directory; absolute paths are accepted only
//! when they point inside it; a `..` that climbs above it is refused; symlinks are followed
//! (the longest existing prefix is canonicalized, and a dangling link is followed by hand,
//! so a new file in an existing directory resolves too) and a path whose real location is
//! outside is refused. The path returned is the real one, and tools open exactly that
//! path, so what was checked is what gets used.
//!
//! `..` is applied to the spelled path before symlinks are followed (`link/../x` is `x`),
//! which differs from the kernel's reading but cannot escape: the result is checked after
//! resolution either way.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use super::ToolError;

/// Symlinks followed by hand before giving up (the kernel's limit is 40).
const MAX_LINK_HOPS: u32 = 40;

/// A path confined to the work directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedPath {
    /// The real absolute location (symlinks resolved); may not exist yet.
    pub absolute: PathBuf,
    /// The same, relative to the work directory, `/`-separated; `.` for the directory itself.
    pub relative: String,
}

/// Resolves `raw` (as the model wrote it) inside `workspace`, or refuses it.
pub fn resolve(workspace: &Path, raw: &str) -> Result<ResolvedPath, ToolError> {
    let root = fs::canonicalize(workspace).map_err(|e| {
        ToolError::Failed(format!(
            "the work directory {} cannot be opened: {e}",
            workspace.display()
        ))
    })?;
    let outside = || ToolError::OutsideWorkspace {
        path: raw.to_owned(),
        workspace: root.display().to_string(),
    };
    if raw.is_empty() {
        return Err(ToolError::Failed("the path is empty".to_owned()));
    }
    let spelled = Path::new(raw);
    let joined = if spelled.is_absolute() {
        normalize(spelled)
    } else {
        if climbs_out(spelled) {
            return Err(outside());
        }
        normalize(&root.join(spelled))
    };
    let real = real_path(&joined, 0)
        .map_err(|e| ToolError::Failed(format!("path `{raw}` cannot be resolved: {e}")))?;
    let relative = real.strip_prefix(&root).map_err(|_| outside())?;
    let relative = match relative.to_string_lossy().into_owned() {
        r if r.is_empty() => ".".to_owned(),
        r => r,
    };
    Ok(ResolvedPath {
        absolute: real,
        relative,
    })
}

/// Whether a relative path's `..` components go above where it starts.
fn climbs_out(relative: &Path) -> bool {
    let mut depth = 0usize;
    for component in relative.components() {
        match component {
            Component::ParentDir => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return true,
            },
            Component::Normal(_) => depth += 1,
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    false
}

/// Removes `.` and applies `..` without touching the file system (`..` at the root stays
/// at the root).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The real location of an absolute, normalized path whose tail may not exist yet.
fn real_path(path: &Path, hops: u32) -> io::Result<PathBuf> {
    let mut existing = path.to_path_buf();
    // Components after `existing`, innermost first.
    let mut missing: Vec<OsString> = Vec::new();
    loop {
        match fs::canonicalize(&existing) {
            Ok(mut real) => {
                real.extend(missing.iter().rev());
                return Ok(real);
            }
            Err(error) if is_missing(&error) => {
                let is_link = fs::symlink_metadata(&existing)
                    .map(|m| m.file_type().is_symlink())
                    .unwrap_or(false);
                if is_link {
                    // A dangling link: follow it by hand, or writing through it could
                    // create a file wherever it points.
                    if hops >= MAX_LINK_HOPS {
                        return Err(io::Error::other("too many levels of symbolic links"));
                    }
                    let target = fs::read_link(&existing)?;
                    let parent = existing.parent().unwrap_or(Path::new("/"));
                    let mut next = normalize(&fs::canonicalize(parent)?.join(target));
                    next.extend(missing.iter().rev());
                    return real_path(&next, hops + 1);
                }
                let Some(name) = existing.file_name() else {
                    return Err(error);
                };
                missing.push(name.to_owned());
                existing.pop();
            }
            Err(error) => return Err(error),
        }
    }
}

fn is_missing(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use pretty_assertions::assert_eq;

    use super::*;

    struct Fixture {
        _dir: tempfile::TempDir,
        root: PathBuf,
        outside: PathBuf,
    }

    /// `<tmp>/work` with `src/lib.rs`, and `<tmp>/outside` with `secret.txt`.
    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let base = fs::canonicalize(dir.path()).unwrap();
        let root = base.join("work");
        let outside = base.join("outside");
        fs::create_dir_all(root.join("src")).unwrap();
        fs::create_dir_all(&outside).unwrap();
        fs::write(root.join("src/lib.rs"), "").unwrap();
        fs::write(outside.join("secret.txt"), "").unwrap();
        Fixture {
            _dir: dir,
            root,
            outside,
        }
    }

    fn relative(f: &Fixture, raw: &str) -> Result<String, ToolError> {
        resolve(&f.root, raw).map(|r| r.relative)
    }

    fn is_outside(result: Result<String, ToolError>) -> bool {
        matches!(result, Err(ToolError::OutsideWorkspace { .. }))
    }

    #[test]
    fn relative_paths_resolve_against_the_work_directory() {
        let f = fixture();
        let resolved = resolve(&f.root, "src/lib.rs").unwrap();
        assert_eq!(resolved.relative, "src/lib.rs");
        assert_eq!(resolved.absolute, f.root.join("src/lib.rs"));
        assert_eq!(relative(&f, "./src/../src/lib.rs").unwrap(), "src/lib.rs");
        assert_eq!(relative(&f, ".").unwrap(), ".");
    }

    #[test]
    fn new_files_and_directories_resolve() {
        let f = fixture();
        assert_eq!(relative(&f, "src/new.rs").unwrap(), "src/new.rs");
        assert_eq!(relative(&f, "a/b/c.txt").unwrap(), "a/b/c.txt");
    }

    #[test]
    fn absolute_paths_inside_are_made_relative_and_outside_are_refused() {
        let f = fixture();
        let inside = f.root.join("src/lib.rs");
        assert_eq!(
            relative(&f, inside.to_str().unwrap()).unwrap(),
            "src/lib.rs"
        );
        let secret = f.outside.join("secret.txt");
        assert!(is_outside(relative(&f, secret.to_str().unwrap())));
        assert!(is_outside(relative(&f, "/etc/passwd")));
    }

    #[test]
    fn dot_dot_that_climbs_out_is_refused_even_when_it_comes_back() {
        let f = fixture();
        assert!(is_outside(relative(&f, "../outside/secret.txt")));
        assert!(is_outside(relative(&f, "src/../../work/src/lib.rs")));
        assert!(is_outside(relative(&f, "..")));
    }

    #[test]
    fn refusal_names_the_path_and_the_work_directory() {
        let f = fixture();
        let message = resolve(&f.root, "../x").unwrap_err().to_string();
        assert_eq!(
            message,
            format!(
                "path `../x` is outside the work directory {}; only files inside it can be used",
                f.root.display()
            )
        );
    }

    #[test]
    fn symlinks_resolve_to_their_real_location() {
        let f = fixture();
        symlink(f.root.join("src"), f.root.join("code")).unwrap();
        symlink("lib.rs", f.root.join("src/alias.rs")).unwrap();
        assert_eq!(relative(&f, "code/lib.rs").unwrap(), "src/lib.rs");
        assert_eq!(relative(&f, "src/alias.rs").unwrap(), "src/lib.rs");
        assert_eq!(relative(&f, "code/new.rs").unwrap(), "src/new.rs");
    }

    #[test]
    fn symlinks_to_outside_are_refused_for_files_dirs_and_new_files_under_them() {
        let f = fixture();
        symlink(f.outside.join("secret.txt"), f.root.join("secret")).unwrap();
        symlink(&f.outside, f.root.join("out")).unwrap();
        assert!(is_outside(relative(&f, "secret")));
        assert!(is_outside(relative(&f, "out")));
        assert!(is_outside(relative(&f, "out/secret.txt")));
        assert!(is_outside(relative(&f, "out/new/file.txt")));
    }

    #[test]
    fn dangling_symlinks_are_followed_by_hand() {
        let f = fixture();
        symlink(f.outside.join("missing.txt"), f.root.join("escape")).unwrap();
        symlink("src/later.rs", f.root.join("later")).unwrap();
        assert!(is_outside(relative(&f, "escape")));
        assert_eq!(relative(&f, "later").unwrap(), "src/later.rs");
    }

    #[test]
    fn symlink_loops_fail_without_hanging() {
        let f = fixture();
        symlink("b", f.root.join("a")).unwrap();
        symlink("a", f.root.join("b")).unwrap();
        assert!(matches!(relative(&f, "a/x"), Err(ToolError::Failed(_))));
    }

    #[test]
    fn climbs_out_counts_depth() {
        assert!(!climbs_out(Path::new("a/../b")));
        assert!(climbs_out(Path::new("a/../../b")));
        assert!(!climbs_out(Path::new("./a/./..")));
    }
}
