//! The originals of files a run changes in place, kept on disk from before the first
//! change until the run ends: content-addressed blobs and a manifest in
//! `<data_dir>/originals/<run id>/`. A run that ends normally drops them (its changes are
//! recorded by then); a run left by a crashed process keeps them, and [`restore`] puts
//! them back.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::agent::tools::atomic;

/// One file as it was before the run first changed it.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Original {
    /// Relative to the run's work area.
    pub path: String,
    /// The git blob id of its content; `None` when the file did not exist (restoring
    /// removes it).
    pub blob: Option<String>,
}

/// The originals of one run, written as the run goes.
#[derive(Debug)]
pub struct Originals {
    dir: PathBuf,
    kept: Mutex<(BTreeSet<String>, Vec<Original>)>,
}

impl Originals {
    pub fn for_run(data_dir: &Path, run_id: &str) -> Self {
        Self {
            dir: run_dir(data_dir, run_id),
            kept: Mutex::default(),
        }
    }

    /// Keeps what `absolute` (`relative` in the work area) holds now, the first time the
    /// run is about to change it. Durable before it returns: the caller changes the file
    /// only after this succeeded.
    pub fn keep(&self, relative: &str, absolute: &Path) -> io::Result<()> {
        let mut kept = self
            .kept
            .lock()
            .map_err(|_| io::Error::other("the originals' record is poisoned"))?;
        if kept.0.contains(relative) {
            return Ok(());
        }
        std::fs::create_dir_all(&self.dir)?;
        let blob = match std::fs::read(absolute) {
            Ok(bytes) => {
                let id = git2::Oid::hash_object(git2::ObjectType::Blob, &bytes)
                    .map_err(io::Error::other)?
                    .to_string();
                let path = self.dir.join(&id);
                if !path.exists() {
                    atomic::write(&path, &bytes)?;
                }
                Some(id)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        kept.0.insert(relative.to_owned());
        kept.1.push(Original {
            path: relative.to_owned(),
            blob,
        });
        let manifest = serde_json::to_vec_pretty(&kept.1).map_err(io::Error::other)?;
        atomic::write(&self.dir.join(MANIFEST), &manifest)
    }

    /// Drops the originals: the run ended and its changes are recorded.
    pub fn discard(&self) {
        discard(&self.dir);
    }
}

const MANIFEST: &str = "manifest.json";

fn run_dir(data_dir: &Path, run_id: &str) -> PathBuf {
    data_dir.join("originals").join(run_id)
}

fn discard(dir: &Path) {
    if let Err(e) = std::fs::remove_dir_all(dir) {
        if e.kind() != io::ErrorKind::NotFound {
            tracing::warn!(dir = %dir.display(), error = %e, "could not remove a run's originals");
        }
    }
}

/// The originals a run left (a crash ended it before it could drop them).
pub fn list(data_dir: &Path, run_id: &str) -> io::Result<Vec<Original>> {
    match std::fs::read(run_dir(data_dir, run_id).join(MANIFEST)) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(io::Error::other),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Puts the originals back into `work_area` (each file atomically; a file that did not
/// exist is removed), then drops them. Returns the restored paths.
pub fn restore(data_dir: &Path, run_id: &str, work_area: &Path) -> io::Result<Vec<String>> {
    let dir = run_dir(data_dir, run_id);
    let originals = list(data_dir, run_id)?;
    let mut restored = Vec::with_capacity(originals.len());
    for original in &originals {
        // The manifest is ours, but a path must still land inside the work area.
        let relative = Path::new(&original.path);
        if relative.is_absolute()
            || relative
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(io::Error::other(format!(
                "the original `{}` is not a path inside the work area",
                original.path
            )));
        }
        let target = work_area.join(relative);
        match &original.blob {
            Some(blob) => {
                let bytes = std::fs::read(dir.join(blob))?;
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                atomic::write(&target, &bytes)?;
            }
            None => match std::fs::remove_file(&target) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            },
        }
        restored.push(original.path.clone());
    }
    discard(&dir);
    Ok(restored)
}

/// Whether a run left originals on disk (its directory exists).
pub fn kept(data_dir: &Path, run_id: &str) -> bool {
    run_dir(data_dir, run_id).is_dir()
}

/// Drops a run's originals without restoring them.
pub fn forget(data_dir: &Path, run_id: &str) {
    discard(&run_dir(data_dir, run_id));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_originals_survive_the_process_and_restore_the_work_area() {
        let data = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        std::fs::write(work.path().join("a.txt"), "original a").unwrap();
        {
            let originals = Originals::for_run(data.path(), "run_1");
            originals.keep("a.txt", &work.path().join("a.txt")).unwrap();
            originals
                .keep("new.txt", &work.path().join("new.txt"))
                .unwrap();
            // Changed twice: the first original stays.
            std::fs::write(work.path().join("a.txt"), "changed").unwrap();
            originals.keep("a.txt", &work.path().join("a.txt")).unwrap();
            std::fs::write(work.path().join("new.txt"), "made by the run").unwrap();
            // Dropped without discard: as a crash would leave it.
        }
        let left = list(data.path(), "run_1").unwrap();
        assert_eq!(left.len(), 2);
        assert_eq!(
            left[1],
            Original {
                path: "new.txt".into(),
                blob: None
            }
        );
        let restored = restore(data.path(), "run_1", work.path()).unwrap();
        assert_eq!(restored, vec!["a.txt".to_owned(), "new.txt".to_owned()]);
        assert_eq!(
            std::fs::read_to_string(work.path().join("a.txt")).unwrap(),
            "original a"
        );
        assert!(!work.path().join("new.txt").exists());
        assert_eq!(list(data.path(), "run_1").unwrap(), vec![]);
    }
}
