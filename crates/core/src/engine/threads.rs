//! Threads: a run and the follow-ups that continue it (`follow_up_of`), read whole for a
//! run's page, and laid out for a list of runs.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::Engine;
use crate::error::{Error, Result};
use crate::ids::RunId;
use crate::ledger::Run;
use crate::store;

/// The most runs [`Engine::run_thread`] returns, and the deepest it walks: a thread is a
/// conversation a person keeps going, so this is never reached in practice.
pub const THREAD_MAX: u32 = 200;

impl Engine {
    /// The thread run `id` belongs to, oldest first: the run it started from (the earliest
    /// still kept: retention may have removed older ones), then every follow-up of it and
    /// of those, in the order they were made. A run nobody followed up is a thread of one.
    pub async fn run_thread(&self, id: &RunId) -> Result<Vec<Run>> {
        let mut conn = self.shared.store.connection().await?;
        if !store::runs::exists(&mut conn, id).await? {
            return Err(Error::NotFound {
                entity: "run",
                id: id.to_string(),
            });
        }
        store::runs::thread(&mut conn, id, THREAD_MAX).await
    }
}

/// A row of a list laid out by thread: which run (its index in the list given), and how
/// many follow-ups deep it is under the first run of its thread in that list.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadRow {
    pub index: usize,
    pub depth: u32,
}

/// Lays out `runs` (newest first, as lists are) by thread: a follow-up whose parent is in
/// the list goes under it, and the thread takes the place of its newest run, so a thread
/// rises with its latest follow-up. Within a thread a run comes before its follow-ups, and
/// follow-ups of one run come oldest first. A follow-up whose parent is not in the list
/// starts a thread of its own (depth 0). Linear in the list: it needs nothing but the runs
/// it is given, so a page of a long history is laid out without loading the rest. The
/// app's list does the same in `ui/src/views/Runs/threads.ts`.
pub fn thread_order(runs: &[Run]) -> Vec<ThreadRow> {
    let position: HashMap<&str, usize> = runs
        .iter()
        .enumerate()
        .map(|(i, run)| (run.id.as_str(), i))
        .collect();
    let parent_of = |i: usize| -> Option<usize> {
        let of = runs[i].follow_up.as_ref()?.of.as_str();
        position.get(of).copied().filter(|&p| p != i)
    };
    // Follow-ups of each run, oldest first: the list is newest first, so walk it backwards.
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); runs.len()];
    let mut is_child = vec![false; runs.len()];
    for i in (0..runs.len()).rev() {
        if let Some(p) = parent_of(i) {
            children[p].push(i);
            is_child[i] = true;
        }
    }
    // Each thread's root, and where the thread goes: at its newest run (first seen).
    let root_of = |mut i: usize| {
        // A cycle cannot be made through the engine; the bound keeps a corrupt one finite.
        for _ in 0..runs.len() {
            match parent_of(i) {
                Some(p) if is_child[i] => i = p,
                _ => break,
            }
        }
        i
    };
    let mut placed = vec![false; runs.len()];
    let mut rows = Vec::with_capacity(runs.len());
    for i in 0..runs.len() {
        let root = root_of(i);
        if placed[root] {
            continue;
        }
        let mut stack = vec![(root, 0u32)];
        while let Some((at, depth)) = stack.pop() {
            if placed[at] {
                continue;
            }
            placed[at] = true;
            rows.push(ThreadRow { index: at, depth });
            stack.extend(children[at].iter().rev().map(|&c| (c, depth + 1)));
        }
    }
    // Runs of a corrupt cycle were never reached from a root: keep them, flat.
    for (i, done) in placed.iter().enumerate() {
        if !done {
            rows.push(ThreadRow { index: i, depth: 0 });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;
    use crate::ledger::FollowUp;

    fn run(id: &str, of: Option<&str>) -> Run {
        let json = serde_json::json!({
            "id": id, "automation_id": "aut_1", "definition_revision": 1, "revision": 1,
            "trigger": "manual", "attendance": "attended", "writer_key": "/w",
            "state": "succeeded", "blocker": null, "result": null, "error": null,
            "stop_reason": null, "session_id": null, "cost_usd": 0.0, "tokens_in": 0,
            "tokens_out": 0, "steps": 0, "queued_at": "2027-01-01T00:00:00Z",
            "started_at": null, "finished_at": null, "follow_up": null,
        });
        let mut run: Run = serde_json::from_value(json).unwrap();
        run.follow_up = of.map(|of| FollowUp {
            of: RunId::from(of),
            message: "more".into(),
        });
        run
    }

    fn layout(runs: &[Run]) -> Vec<(String, u32)> {
        thread_order(runs)
            .into_iter()
            .map(|row| (runs[row.index].id.to_string(), row.depth))
            .collect()
    }

    fn rows(expected: &[(&str, u32)]) -> Vec<(String, u32)> {
        expected
            .iter()
            .map(|(id, d)| (id.to_string(), *d))
            .collect()
    }

    #[test]
    fn follow_ups_go_under_their_parent_at_the_place_of_the_newest() {
        // Newest first: e, d (follows b), c (follows a), b (follows a), a.
        let runs = [
            run("e", None),
            run("d", Some("b")),
            run("c", Some("a")),
            run("b", Some("a")),
            run("a", None),
        ];
        assert_eq!(
            layout(&runs),
            rows(&[("e", 0), ("a", 0), ("b", 1), ("d", 2), ("c", 1)])
        );
    }

    #[test]
    fn a_follow_up_whose_parent_is_not_listed_starts_its_own_thread() {
        let runs = [run("c", Some("b")), run("x", None), run("b", Some("gone"))];
        assert_eq!(layout(&runs), rows(&[("b", 0), ("c", 1), ("x", 0)]));
    }

    #[test]
    fn runs_without_follow_ups_keep_their_order() {
        let runs = [run("c", None), run("b", None), run("a", None)];
        assert_eq!(layout(&runs), rows(&[("c", 0), ("b", 0), ("a", 0)]));
    }

    #[test]
    fn a_corrupt_cycle_still_lists_every_run_once() {
        let runs = [run("b", Some("a")), run("a", Some("b"))];
        let mut ids: Vec<String> = layout(&runs).into_iter().map(|(id, _)| id).collect();
        ids.sort();
        assert_eq!(ids, vec!["a", "b"]);
    }
}
