//! `autowork run ...`: list, show and cancel runs; review their changes (diff, apply,
//! discard).

use autowork_core::changes::{Review, RunChanges};
use autowork_core::engine::thread_order;
use autowork_core::git::{ApplyOutcome, FileChangeKind};
use autowork_core::ids::{AutomationId, RunId};
use autowork_core::ledger::{Blocker, Run, RunState, StopReason};
use autowork_core::{Engine, RunFilter, RunPage};
use serde_json::json;

use crate::args::{RunCommand, RunListArgs};
use crate::output::{clip, emit_either, fields, opt_time, time, Failure, Outcome, Table};

pub async fn run(engine: &Engine, command: RunCommand, json: bool) -> Outcome {
    match command {
        RunCommand::List(args) => list(engine, args, json).await,
        RunCommand::Show { id, transcript } => {
            let id = RunId::from(id.as_str());
            let run = engine.get_run(&id).await?;
            if !transcript {
                let changes = engine.run_changes(&id).await?;
                let busy = busy_note(engine, &run).await;
                // A queued run says what it waits for.
                let waiting = match run.state {
                    RunState::Queued => engine.queue_place(&id).await?.map(|p| p.describe()),
                    _ => None,
                };
                let originals = engine.run_originals(&id).await?;
                let thread = engine.run_thread(&id).await?;
                return emit_either(json, &run, |run| {
                    let mut text = view_with(run, changes.as_ref(), busy.as_deref());
                    text.push_str(&thread_lines(run, &thread));
                    if let Some(waiting) = &waiting {
                        text.push_str(&format!("waiting:           {waiting}\n"));
                    }
                    if !originals.is_empty() {
                        text.push_str(&format!(
                            "originals:         {} file(s) as they were before this run, kept after a crash ({}); put them back with: autowork run restore {id}\n",
                            originals.len(),
                            originals
                                .iter()
                                .map(|o| o.path.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    }
                    text
                });
            }
            let transcript = engine.run_transcript(&id).await?;
            let shown = json!({ "run": run, "transcript": transcript });
            emit_either(json, &shown, |_| {
                let said = if transcript.is_empty() {
                    "(nothing yet)\n".to_owned()
                } else {
                    crate::transcript::render(&transcript)
                };
                format!("{}\ntranscript:\n{said}", view(&run))
            })
        }
        RunCommand::Cancel { id } => {
            let run = engine.cancel_run(&RunId::from(id.as_str())).await?;
            emit_either(json, &run, view)
        }
        RunCommand::Diff { id, stat } => {
            let id = RunId::from(id.as_str());
            let changes = engine.run_changes(&id).await?;
            emit_either(json, &changes, |changes| match changes {
                None => format!("run {id} has recorded no changes yet (it has not ended)\n"),
                Some(changes) => render_changes(changes, !stat),
            })
        }
        RunCommand::Apply { id } => {
            let outcome = engine.apply_run(&RunId::from(id.as_str())).await?;
            emit_either(json, &outcome, |outcome| render_apply(&id, outcome))?;
            match outcome {
                ApplyOutcome::Applied { .. } | ApplyOutcome::AlreadyApplied => Ok(()),
                ApplyOutcome::Conflict { .. } | ApplyOutcome::LocalChanges { .. } => {
                    Err(Failure::Exit(1))
                }
            }
        }
        RunCommand::FollowUp(args) => crate::run_now::follow_up(engine, args, json).await,
        RunCommand::Restore { id } => {
            let restored = engine.restore_originals(&RunId::from(id.as_str())).await?;
            emit_either(json, &restored, |restored| {
                if restored.is_empty() {
                    format!("run {id} left no originals: nothing to restore\n")
                } else {
                    format!(
                        "restored {} file(s) as they were before run {id}: {}\n",
                        restored.len(),
                        restored.join(", ")
                    )
                }
            })
        }
        RunCommand::Discard { id } => {
            let changes = engine.discard_run(&RunId::from(id.as_str())).await?;
            emit_either(json, &changes, |changes| {
                format!(
                    "discarded the changes of run {id} ({} file(s)); the worktree {} is back where the run started\n",
                    changes.summary.files_changed,
                    changes.worktree.as_ref().map_or("", |w| w.path.as_str())
                )
            })
        }
    }
}

/// `3 files changed, 10 insertions(+), 2 deletions(-)`, one line per file, the review
/// state for worktree runs, then (with `patch`) the diff.
pub fn render_changes(changes: &RunChanges, patch: bool) -> String {
    let summary = &changes.summary;
    let mut out = String::new();
    if summary.files.is_empty() {
        out.push_str("no files changed\n");
    }
    for file in &summary.files {
        let kind = match file.kind {
            FileChangeKind::Added => "A",
            FileChangeKind::Modified => "M",
            FileChangeKind::Deleted => "D",
            FileChangeKind::Renamed => "R",
        };
        let name = match &file.old_path {
            Some(old) => format!("{old} -> {}", file.path),
            None => file.path.clone(),
        };
        let counts = if file.binary {
            "binary".to_owned()
        } else {
            format!("+{} -{}", file.insertions, file.deletions)
        };
        out.push_str(&format!("{kind} {name}  {counts}\n"));
    }
    if !summary.files.is_empty() {
        out.push_str(&format!(
            "{} file(s) changed, {} insertion(s)(+), {} deletion(s)(-)\n",
            summary.files_changed, summary.insertions, summary.deletions
        ));
    }
    if let Some(worktree) = &changes.worktree {
        let review = match worktree.review {
            Review::Empty => "nothing to review".to_owned(),
            Review::Pending => format!(
                "waiting for review: `autowork run apply {id}` or `autowork run discard {id}`",
                id = changes.run_id
            ),
            Review::Applied => format!(
                "applied{}",
                worktree
                    .applied_commit
                    .as_deref()
                    .map(|c| format!(" as {}", short_commit(c)))
                    .unwrap_or_default()
            ),
            Review::Discarded => "discarded".to_owned(),
            Review::Superseded => match &worktree.superseded_by {
                Some(by) => {
                    format!("continued by follow-up {by}, whose review holds these changes")
                }
                None => "continued by a follow-up, whose review holds these changes".to_owned(),
            },
        };
        out.push_str(&format!(
            "worktree: {} (branch {}): {review}\n",
            worktree.path, worktree.branch
        ));
    }
    if let Some(note) = &changes.note {
        out.push_str(&format!("note: {note}\n"));
    }
    if patch && !summary.patch.is_empty() {
        out.push('\n');
        out.push_str(&summary.patch);
        if !summary.patch.ends_with('\n') {
            out.push('\n');
        }
        if summary.truncated {
            out.push_str("[the diff was cut at its size limit]\n");
        }
    }
    out
}

/// `2 file(s), +3 -1 (waiting for review: autowork run diff ID)`.
fn changes_line(changes: &RunChanges) -> String {
    let summary = &changes.summary;
    let review = match changes.worktree.as_ref().map(|w| w.review) {
        Some(Review::Pending) => format!(
            " (waiting for review: autowork run diff {})",
            changes.run_id
        ),
        Some(Review::Applied) => " (applied)".to_owned(),
        Some(Review::Discarded) => " (discarded)".to_owned(),
        Some(Review::Superseded) => " (in its follow-up's review)".to_owned(),
        Some(Review::Empty) | None => String::new(),
    };
    format!(
        "{} file(s), +{} -{}{review}",
        summary.files_changed, summary.insertions, summary.deletions
    )
}

/// The first 12 characters of a commit id, as git abbreviates them.
fn short_commit(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

fn render_apply(id: &str, outcome: &ApplyOutcome) -> String {
    match outcome {
        ApplyOutcome::Applied { commit, files } => format!(
            "applied run {id} to the workspace's branch as {} ({} file(s): {})\n",
            short_commit(commit),
            files.len(),
            files.join(", ")
        ),
        ApplyOutcome::AlreadyApplied => {
            format!("the workspace's branch already has the changes of run {id}\n")
        }
        ApplyOutcome::Conflict { paths, message } => format!(
            "not applied: {message}\nconflicting files: {}\nnothing was changed; the run's changes stay in its worktree\n",
            paths.join(", ")
        ),
        ApplyOutcome::LocalChanges { paths, message } => format!(
            "not applied: {message}\nfiles with your uncommitted changes: {}\nnothing was changed\n",
            paths.join(", ")
        ),
    }
}

async fn list(engine: &Engine, args: RunListArgs, json: bool) -> Outcome {
    let filter = RunFilter {
        automation_id: args.automation.as_deref().map(AutomationId::from),
        states: args.states,
        triggers: args.triggers,
        since: args.since,
        until: args.until,
    };
    let page = engine
        .list_runs(&filter, args.cursor.as_deref(), args.limit)
        .await?;
    emit_either(json, &page, table)
}

fn table(page: &RunPage) -> String {
    if page.runs.is_empty() {
        return "no runs\n".into();
    }
    let mut table = Table::new(&[
        "ID",
        "AUTOMATION",
        "STATE",
        "TRIGGER",
        "STEPS",
        "COST",
        "QUEUED",
        "FOLLOWS",
    ]);
    // Threads: a follow-up sits under the run it continues when both are on this page.
    for row in thread_order(&page.runs) {
        let Some(run) = page.runs.get(row.index) else {
            continue;
        };
        let id = match row.depth {
            0 => run.id.to_string(),
            depth => format!("{}↳ {}", "  ".repeat(depth as usize - 1), run.id),
        };
        table.row(vec![
            id,
            run.automation_id.to_string(),
            state(run),
            run.trigger.as_str().into(),
            run.steps.to_string(),
            format!("${:.4}", run.cost_usd),
            time(&run.queued_at),
            run.follow_up
                .as_ref()
                .map_or("-".into(), |f| f.of.to_string()),
        ]);
    }
    let mut text = table.render();
    if let Some(cursor) = &page.next_cursor {
        text.push_str(&format!("more: --cursor {cursor}\n"));
    }
    text
}

/// The state with why it ended, where it says: `failed (step_cap)`, `stopped (cancelled)`.
fn state(run: &Run) -> String {
    let why = match (&run.error, run.stop_reason) {
        (Some(error), _) => Some(error.code.as_str()),
        (None, Some(reason)) => Some(reason.as_str()),
        (None, None) => None,
    };
    match why {
        Some(why) => format!("{} ({why})", run.state),
        None => run.state.to_string(),
    }
}

pub fn view(run: &Run) -> String {
    view_with(run, None, None)
}

/// [`view`], with a line saying what the run changed once it has ended, and for a run
/// stopped `writer_busy` which run held the work area ([`busy_note`]).
pub fn view_with(run: &Run, changes: Option<&RunChanges>, busy: Option<&str>) -> String {
    let mut pairs = vec![
        ("id", run.id.to_string()),
        ("automation", run.automation_id.to_string()),
        ("state", state(run)),
        ("trigger", run.trigger.as_str().into()),
        ("attendance", run.attendance.as_str().into()),
        ("definition_rev", run.definition_revision.to_string()),
        ("revision", run.revision.to_string()),
        ("writer_key", run.writer_key.clone()),
        ("steps", run.steps.to_string()),
        (
            "tokens",
            format!("{} in, {} out", run.tokens_in, run.tokens_out),
        ),
        ("cost", format!("${:.4}", run.cost_usd)),
        ("queued_at", time(&run.queued_at)),
        ("started_at", opt_time(run.started_at.as_ref())),
        ("finished_at", opt_time(run.finished_at.as_ref())),
        (
            "session",
            run.session_id
                .as_ref()
                .map_or("-".into(), |s| s.to_string()),
        ),
    ];
    pairs.push((
        "worker",
        match (&run.worker, run.state.is_terminal()) {
            (Some(worker), _) => worker.clone(),
            (None, true) => "-".into(),
            (None, false) => "none yet (waiting for a worker that serves its folder)".into(),
        },
    ));
    if let Some(follow_up) = &run.follow_up {
        pairs.push(("follow_up_of", follow_up.of.to_string()));
        pairs.push(("message", follow_up.message.clone()));
    }
    if let Some(blocker) = &run.blocker {
        pairs.push(("waiting_for", blocker_line(blocker)));
    }
    if let Some(changes) = changes {
        pairs.push(("changes", changes_line(changes)));
    }
    if let Some(busy) = busy {
        pairs.push(("held_by", busy.to_owned()));
    }
    if let Some(error) = &run.error {
        pairs.push(("error", error.message.clone()));
    }
    if let Some(result) = &run.result {
        pairs.push(("result", result.clone()));
    }
    fields(&pairs)
}

/// The follow-ups of `run` (the thread's runs that continue it), one a line, and the
/// thread laid out when it has more than this run.
fn thread_lines(run: &Run, thread: &[Run]) -> String {
    if thread.len() < 2 {
        return String::new();
    }
    let mut text = String::new();
    let follow_ups: Vec<&Run> = thread
        .iter()
        .filter(|r| r.follow_up.as_ref().is_some_and(|f| f.of == run.id))
        .collect();
    for (i, follow_up) in follow_ups.iter().enumerate() {
        let label = if i == 0 { "follow_ups:" } else { "" };
        text.push_str(&format!(
            "{label:<19}{} {} \"{}\"\n",
            follow_up.id,
            state(follow_up),
            follow_up
                .follow_up
                .as_ref()
                .map_or(String::new(), |f| clip(&f.message, 60))
        ));
    }
    // The thread is oldest first; lay it out as the list does (which wants newest first).
    let newest_first: Vec<Run> = thread.iter().rev().cloned().collect();
    text.push_str("thread:\n");
    for row in thread_order(&newest_first) {
        let Some(member) = newest_first.get(row.index) else {
            continue;
        };
        let marker = if member.id == run.id { "*" } else { " " };
        let indent = match row.depth {
            0 => String::new(),
            depth => format!("{}↳ ", "  ".repeat(depth as usize - 1)),
        };
        text.push_str(&format!(
            "  {marker} {indent}{} {}\n",
            member.id,
            state(member)
        ));
    }
    text
}

/// For a run stopped `writer_busy`: which run held the work area, and what to do about it.
pub async fn busy_note(engine: &Engine, run: &Run) -> Option<String> {
    if run.stop_reason != Some(StopReason::WriterBusy) {
        return None;
    }
    let holder = match engine.work_area_holder(&run.id).await {
        Ok(holder) => holder,
        Err(e) => {
            tracing::warn!(run = %run.id, error = %e, "cannot tell which run held the work area");
            None
        }
    };
    Some(match holder {
        Some(holder) if holder.until.is_none() => format!(
            "the work area is held by {holder}; cancel it (autowork run cancel {}) or wait for it to end",
            holder.run_id
        ),
        Some(holder) => format!("the work area was held by {holder}; it is free now"),
        None => "another run held the work area; it has ended since".to_owned(),
    })
}

fn blocker_line(blocker: &Blocker) -> String {
    match blocker {
        Blocker::Permission {
            request_id,
            tool,
            summary,
            ..
        } => format!("permission {request_id}: {tool} {}", clip(summary, 80)),
        Blocker::Question {
            call_id, questions, ..
        } => {
            let asked: Vec<&str> = questions.iter().map(|q| q.question.as_str()).collect();
            format!("answers {call_id}:\n{}", asked.join("\n"))
        }
    }
}
