//! Which hierarchies to grant read access to so that everything but the hidden paths is
//! readable. Landlock cannot subtract, so the grant is built from the top: every directory
//! that contains a hidden path is opened up into its entries, each entry that is not hidden
//! is granted whole, and the walk goes down only where hidden paths lie.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// What a directory entry is, as far as the walk cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryKind {
    Dir,
    /// Never granted: Landlock checks the target's own path, so granting through a link
    /// could only open up a hidden target.
    Symlink,
    Other,
}

/// The roots to grant read access beneath: all of `/` except `hidden` (absolute, normalised
/// paths). `list` gives a directory's entries; an unreadable directory lists nothing, so
/// nothing in it is granted.
pub(crate) fn read_roots<L>(hidden: &[PathBuf], mut list: L) -> Vec<PathBuf>
where
    L: FnMut(&Path) -> Vec<(OsString, EntryKind)>,
{
    let root = Path::new("/");
    if hidden.is_empty() {
        return vec![root.to_path_buf()];
    }
    let mut roots = Vec::new();
    if !hidden.iter().any(|h| h == root) {
        walk(root, hidden, &mut list, &mut roots);
    }
    roots
}

fn walk<L>(dir: &Path, hidden: &[PathBuf], list: &mut L, roots: &mut Vec<PathBuf>)
where
    L: FnMut(&Path) -> Vec<(OsString, EntryKind)>,
{
    for (name, kind) in list(dir) {
        let path = dir.join(name);
        if kind == EntryKind::Symlink || hidden.contains(&path) {
            continue;
        }
        if kind == EntryKind::Dir && hidden.iter().any(|h| h.starts_with(&path)) {
            walk(&path, hidden, list, roots);
        } else {
            roots.push(path);
        }
    }
}

/// The real directory lister for [`read_roots`].
#[cfg(target_os = "linux")]
pub(crate) fn list_dir(dir: &Path) -> Vec<(OsString, EntryKind)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .map(|entry| {
            let kind = match entry.file_type() {
                Ok(t) if t.is_symlink() => EntryKind::Symlink,
                Ok(t) if t.is_dir() => EntryKind::Dir,
                _ => EntryKind::Other,
            };
            (entry.file_name(), kind)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use std::collections::BTreeMap;

    /// A fake tree: directory -> entries.
    fn tree() -> BTreeMap<&'static str, Vec<(&'static str, EntryKind)>> {
        use EntryKind::*;
        BTreeMap::from([
            (
                "/",
                vec![("bin", Symlink), ("etc", Dir), ("home", Dir), ("usr", Dir)],
            ),
            ("/home", vec![("ann", Dir), ("bob", Dir)]),
            (
                "/home/ann",
                vec![
                    (".cargo", Dir),
                    (".netrc", Other),
                    (".ssh", Dir),
                    ("keys", Symlink),
                    ("notes.txt", Other),
                    ("proj", Dir),
                ],
            ),
            (
                "/home/ann/.cargo",
                vec![("credentials.toml", Other), ("registry", Dir)],
            ),
        ])
    }

    fn roots(hidden: &[&str]) -> Vec<String> {
        let tree = tree();
        let hidden: Vec<PathBuf> = hidden.iter().map(PathBuf::from).collect();
        read_roots(&hidden, |dir: &Path| {
            tree.get(dir.to_str().unwrap())
                .map(|entries| {
                    entries
                        .iter()
                        .map(|(n, k)| (OsString::from(n), *k))
                        .collect()
                })
                .unwrap_or_default()
        })
        .into_iter()
        .map(|p| p.display().to_string())
        .collect()
    }

    #[test]
    fn nothing_hidden_grants_the_whole_filesystem() {
        assert_eq!(roots(&[]), vec!["/"]);
    }

    #[test]
    fn hidden_paths_split_only_their_ancestors_and_skip_symlinks() {
        assert_eq!(
            roots(&[
                "/home/ann/.ssh",
                "/home/ann/.netrc",
                "/home/ann/.cargo/credentials.toml"
            ]),
            vec![
                "/etc",
                "/home/ann/.cargo/registry",
                "/home/ann/notes.txt",
                "/home/ann/proj",
                "/home/bob",
                "/usr",
            ],
            "siblings are granted whole; hidden entries, their ancestors and symlinks are not"
        );
    }

    #[test]
    fn a_missing_hidden_path_still_splits_its_existing_ancestors() {
        assert_eq!(
            roots(&["/home/ann/.aws"]),
            vec![
                "/etc",
                "/home/ann/.cargo",
                "/home/ann/.netrc",
                "/home/ann/.ssh",
                "/home/ann/notes.txt",
                "/home/ann/proj",
                "/home/bob",
                "/usr",
            ],
            "a later `.aws` would not be readable: only entries present now are granted"
        );
    }

    #[test]
    fn hiding_a_whole_directory_or_root() {
        assert_eq!(roots(&["/home"]), vec!["/etc", "/usr"]);
        assert_eq!(roots(&["/"]), Vec::<String>::new());
    }
}
