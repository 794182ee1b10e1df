//! What this process tells its person about runs other workers drive: on a team database a
//! run queued from this app may run on a server, and its permission requests and questions
//! must still reach the people whose app is open.

use std::sync::Arc;

use super::Shared;
use crate::ids::{AutomationId, RunId};
use crate::ledger::{Attendance, Blocker, RunState};
use crate::notify::Notification;
use crate::store;

/// Raises the desktop notification for a blocker of a run another worker drives, as the
/// driving worker does for its own: only for attended runs still waiting on this blocker, and
/// only on a team database (on one computer the run's own process is on this machine).
pub(super) fn blocker_raised_elsewhere(
    shared: &Arc<Shared>,
    run_id: &RunId,
    automation_id: &AutomationId,
    blocker: &Blocker,
) {
    if !shared.store.is_team() || shared.active_run(run_id).is_some() {
        return;
    }
    let (shared, run_id, automation_id, blocker) = (
        shared.clone(),
        run_id.clone(),
        automation_id.clone(),
        blocker.clone(),
    );
    // Off the follower's path: two reads, and the follower goes on publishing meanwhile.
    tokio::spawn(async move {
        let found = async {
            let mut conn = shared.store.connection().await?;
            let run = store::runs::get(&mut conn, &run_id).await?;
            let automation = store::automations::get(&mut conn, &automation_id).await?;
            Ok::<_, crate::error::Error>(run.zip(automation))
        }
        .await;
        match found {
            Ok(Some((run, automation)))
                if run.attendance == Attendance::Attended
                    && run.state == RunState::AwaitingInput
                    && run.blocker.as_ref().map(Blocker::id) == Some(blocker.id()) =>
            {
                shared.notifier.notify(Notification::BlockerRaised {
                    automation: Box::new(automation),
                    run: Box::new(run),
                    blocker,
                });
            }
            // Answered, ended or unattended meanwhile: nothing to ask.
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(run = %run_id, error = %e, "could not read a run waiting elsewhere for its notification")
            }
        }
    });
}
