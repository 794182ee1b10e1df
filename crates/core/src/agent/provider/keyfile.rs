//! API keys in files, where no keychain can hold them: `<data_dir>/keys/<provider id>.key`,
//! in a directory only the user may enter (0700), each file readable only by the user
//! (0600 from the moment it exists). Like ssh with a private key, a key file that other
//! users could read is refused rather than used. Runs never see these files: the sandbox
//! hides the whole data directory from them.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The folder under the data directory that holds key files.
pub const KEYS_DIR: &str = "keys";

/// Where provider `id`'s key file goes.
pub fn path(data_dir: &Path, provider_id: &str) -> PathBuf {
    data_dir.join(KEYS_DIR).join(format!("{provider_id}.key"))
}

/// Why a key file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("The key file {} is missing", path.display())]
    Missing { path: PathBuf },
    #[error(
        "The key file {path} is open to other users (mode {mode:04o}), so Autowork will not \
         use it; make it private with `chmod 600 {path}`",
        path = path.display()
    )]
    Exposed { path: PathBuf, mode: u32 },
    #[error(
        "The key file {} belongs to another user, so Autowork will not use it",
        path.display()
    )]
    NotOwned { path: PathBuf },
    #[error("The key file {} is empty", path.display())]
    Empty { path: PathBuf },
    #[error("The key file {} cannot be read: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Reads a key file, refusing one that others could read or that another user owns. The
/// key comes back trimmed.
pub fn read(path: &Path) -> Result<String, KeyFileError> {
    let io = |source: std::io::Error| {
        if source.kind() == std::io::ErrorKind::NotFound {
            KeyFileError::Missing {
                path: path.to_owned(),
            }
        } else {
            KeyFileError::Io {
                path: path.to_owned(),
                source,
            }
        }
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    // The checks look at the file that was opened, not at whatever the path names now.
    let metadata = file.metadata().map_err(io)?;
    check_private(path, &metadata)?;
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(io)?;
    let key = text.trim();
    if key.is_empty() {
        return Err(KeyFileError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(key.to_owned())
}

#[cfg(unix)]
fn check_private(path: &Path, metadata: &std::fs::Metadata) -> Result<(), KeyFileError> {
    use std::os::unix::fs::MetadataExt;
    let mode = metadata.mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(KeyFileError::Exposed {
            path: path.to_owned(),
            mode,
        });
    }
    if metadata.uid() != nix::unistd::geteuid().as_raw() {
        return Err(KeyFileError::NotOwned {
            path: path.to_owned(),
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path, _: &std::fs::Metadata) -> Result<(), KeyFileError> {
    // The data directory lies in the user's profile, which other users cannot read.
    Ok(())
}

/// Writes `key` to `path` atomically: a temporary file created private in the same folder,
/// then renamed over the old one. The folder is created (or tightened) to 0700.
pub fn write(path: &Path, key: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("a key file needs a folder"))?;
    private_dir(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::now_v7().simple()));
    let written = write_new(&temp, key).and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written?;
    // The rename is durable once the folder is flushed; a failure here loses nothing.
    if let Ok(folder) = std::fs::File::open(dir) {
        let _ = folder.sync_all();
    }
    Ok(())
}

/// Creates `temp` (which must not exist) readable only by the user, and fills it.
fn write_new(temp: &Path, key: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(temp)?;
    file.write_all(key.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

fn private_dir(dir: &Path) -> std::io::Result<()> {
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        match std::fs::DirBuilder::new().mode(0o700).create(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let metadata = std::fs::metadata(dir)?;
                if metadata.permissions().mode() & 0o077 != 0 {
                    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
                }
            }
            Err(e) => return Err(e),
        }
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)?;
    Ok(())
}

/// Deletes a key file; fine when there is none.
pub fn delete(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    #[cfg(unix)]
    fn a_key_file_is_private_from_creation_in_a_private_folder() {
        let dir = tempfile::tempdir().unwrap();
        let file = path(dir.path(), "openai");
        write(&file, "sk-file-0123456789").unwrap();
        assert_eq!(mode(&file), 0o600, "the key file is the user's alone");
        assert_eq!(mode(file.parent().unwrap()), 0o700, "so is its folder");
        assert_eq!(read(&file).unwrap(), "sk-file-0123456789");
        let leftovers: Vec<_> = std::fs::read_dir(file.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("openai.key")]);
    }

    #[test]
    #[cfg(unix)]
    fn replacing_a_key_keeps_the_file_private_even_over_an_open_one() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = path(dir.path(), "openai");
        write(&file, "sk-old-0123456789").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(
            file.parent().unwrap(),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        write(&file, "sk-new-0123456789").unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(
            mode(file.parent().unwrap()),
            0o700,
            "the folder is tightened"
        );
        assert_eq!(read(&file).unwrap(), "sk-new-0123456789");
    }

    #[test]
    #[cfg(unix)]
    fn a_key_file_others_can_read_is_refused_with_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = path(dir.path(), "anthropic");
        write(&file, "sk-ant-0123456789").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        let error = read(&file).unwrap_err();
        assert!(
            matches!(error, KeyFileError::Exposed { mode: 0o640, .. }),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.contains(&file.display().to_string()), "{message}");
        assert!(
            message.contains(&format!("chmod 600 {}", file.display())),
            "{message}"
        );
        assert!(!message.contains("sk-ant"), "never the key: {message}");
    }

    #[test]
    fn missing_and_empty_key_files_say_so() {
        let dir = tempfile::tempdir().unwrap();
        let file = path(dir.path(), "x");
        assert!(matches!(read(&file), Err(KeyFileError::Missing { .. })));
        write(&file, "  ").unwrap();
        assert!(matches!(read(&file), Err(KeyFileError::Empty { .. })));
        delete(&file).unwrap();
        assert!(!file.exists());
        delete(&file).unwrap();
    }
}
