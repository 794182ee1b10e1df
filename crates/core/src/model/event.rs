//! The engine's events: what changed, and an event with its place in the outbox. The
//! stream that carries them is [`crate::events`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{AutomationId, BlockerId, RunId};
use crate::model::definition::Automation;
use crate::model::run::{Blocker, BlockerReply, Run};
use crate::model::transcript::PartUpdate;

/// Something that changed. Payloads are the same types the commands return.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload")]
pub enum Event {
    #[serde(rename = "automation.updated")]
    AutomationUpdated(Automation),
    #[serde(rename = "automation.deleted")]
    AutomationDeleted { id: AutomationId, revision: u64 },
    #[serde(rename = "run.updated")]
    RunUpdated(Run),
    #[serde(rename = "blocker.raised")]
    BlockerRaised {
        run_id: RunId,
        automation_id: AutomationId,
        /// The run's revision that raised the blocker.
        run_revision: u64,
        blocker: Blocker,
    },
    #[serde(rename = "blocker.resolved")]
    BlockerResolved {
        run_id: RunId,
        automation_id: AutomationId,
        /// The run's revision that resolved the blocker.
        run_revision: u64,
        blocker_id: BlockerId,
        reply: BlockerReply,
    },
    /// Transcript progress of a run: streamed deltas (this process only, not stored in the
    /// outbox) and completed parts.
    #[serde(rename = "session.part")]
    SessionPart(PartUpdate),
}

impl Event {
    /// The outbox's `kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::AutomationUpdated(_) => "automation.updated",
            Event::AutomationDeleted { .. } => "automation.deleted",
            Event::RunUpdated(_) => "run.updated",
            Event::BlockerRaised { .. } => "blocker.raised",
            Event::BlockerResolved { .. } => "blocker.resolved",
            Event::SessionPart(_) => "session.part",
        }
    }

    /// The id of the automation or run the event is about.
    pub fn subject_id(&self) -> &str {
        match self {
            Event::AutomationUpdated(a) => a.id.as_str(),
            Event::AutomationDeleted { id, .. } => id.as_str(),
            Event::RunUpdated(r) => r.id.as_str(),
            Event::BlockerRaised { run_id, .. } | Event::BlockerResolved { run_id, .. } => {
                run_id.as_str()
            }
            Event::SessionPart(update) => update.run_id.as_str(),
        }
    }
}

/// An event with its place in the outbox.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// Position in the database's outbox; resume a stream after it with `since`. 0 for
    /// streamed deltas, which are not stored.
    pub seq: i64,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub event: Event,
}
