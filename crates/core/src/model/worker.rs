//! Workers: the apps and daemons connected to one ledger that drive runs, and which runs each
//! may take. A workspace is a path on one machine, so a run goes to a worker that serves a
//! folder holding its work area.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// A connected worker that takes queued runs, as `autowork workers` and the app show it.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerInfo {
    /// The machine as people know it.
    pub name: String,
    /// `app` or `daemon`.
    pub kind: String,
    /// The folders whose runs it takes.
    pub serves: Vec<String>,
    /// This very process.
    pub this_process: bool,
}

/// Whether a worker serving `folders` may drive a run writing in `work_area`: the work area is
/// one of the folders or lies inside one (by whole path components: `/srv/a` does not serve
/// `/srv/ab`).
pub fn serves(folders: &[String], work_area: &str) -> bool {
    let work_area = Path::new(work_area);
    folders
        .iter()
        .any(|folder| work_area.starts_with(Path::new(folder)))
}

/// How a run names the worker that drives it: `build-server (daemon)`.
pub fn display_name(name: &str, kind: &str) -> String {
    format!("{name} ({kind})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_serves_itself_and_what_lies_inside_by_whole_components() {
        let folders = vec!["/srv/repos".to_owned(), "/home/ada".to_owned()];
        assert!(serves(&folders, "/srv/repos"));
        assert!(serves(
            &folders,
            "/srv/repos/api/.autowork/worktrees/nightly"
        ));
        assert!(serves(&folders, "/home/ada/"));
        assert!(!serves(&folders, "/srv/repos-old/api"));
        assert!(!serves(&folders, "/srv"));
        assert!(!serves(&[], "/srv/repos"));
        assert!(serves(&["/".to_owned()], "/anything/at/all"));
    }
}
