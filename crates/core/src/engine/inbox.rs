//! The inbox: what needs the user first, then what finished unseen, with each
//! automation's missed fires folded into one line.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Engine;
use crate::error::Result;
use crate::ids::{AutomationId, RunId};
use crate::ledger::Run;
use crate::store;

/// The most finished runs the inbox lists; runs waiting for input are always listed.
pub const INBOX_FINISHED_MAX: u32 = 200;
/// A bound on waiting runs, so a runaway never makes the answer huge.
const INBOX_WAITING_MAX: u32 = 1000;

/// Which part of the inbox to list.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboxFilter {
    /// Everything: waiting runs, unseen finished runs, missed fires.
    #[default]
    All,
    /// Only runs waiting for an answer.
    NeedsMe,
    /// Only unseen failed runs.
    Failed,
}

/// One line of the inbox.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InboxItem {
    Run {
        run: Box<Run>,
    },
    /// Fires of one automation missed while the app was closed or the machine slept.
    MissedFires {
        automation_id: AutomationId,
        count: u32,
        first_at: DateTime<Utc>,
        last_at: DateTime<Utc>,
        /// The catch-up run that ran the latest missed fire, when one did.
        ran_latest: Option<RunId>,
    },
}

/// How many of each kind the whole inbox holds (not only the listed page).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct InboxCounts {
    /// Runs waiting for an answer.
    pub needs_me: u32,
    /// Unseen failed runs.
    pub failed: u32,
    /// Every line: waiting runs, unseen finished runs, and one per automation with missed
    /// fires. What the navigation badge shows.
    pub total: u32,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inbox {
    /// Waiting runs first (newest first), then the rest newest first.
    pub items: Vec<InboxItem>,
    pub counts: InboxCounts,
    /// Whether more finished runs are unseen than listed.
    pub truncated: bool,
}

impl Engine {
    /// The inbox, filtered. Runs that need the user come first and are never crowded out
    /// by finished ones.
    pub async fn inbox_view(&self, filter: InboxFilter) -> Result<Inbox> {
        let mut conn = self.shared.store.connection().await?;
        let (needs_me, failed, listed) = store::inbox::counts(&mut conn).await?;
        let groups = match filter {
            InboxFilter::All => store::inbox::missed_groups(&mut conn).await?,
            _ => Vec::new(),
        };
        let group_count = if filter == InboxFilter::All {
            u32::try_from(groups.len()).unwrap_or(u32::MAX)
        } else {
            u32::try_from(store::inbox::missed_groups(&mut conn).await?.len()).unwrap_or(u32::MAX)
        };
        let mut items: Vec<InboxItem> = Vec::new();
        if filter != InboxFilter::Failed {
            let waiting = store::inbox::waiting(&mut conn, INBOX_WAITING_MAX).await?;
            items.extend(
                waiting
                    .into_iter()
                    .map(|run| InboxItem::Run { run: Box::new(run) }),
            );
        }
        let mut truncated = false;
        if filter != InboxFilter::NeedsMe {
            let failed_only = filter == InboxFilter::Failed;
            let mut finished =
                store::inbox::unseen_finished(&mut conn, failed_only, INBOX_FINISHED_MAX + 1)
                    .await?;
            truncated = finished.len() > INBOX_FINISHED_MAX as usize;
            finished.truncate(INBOX_FINISHED_MAX as usize);
            // Missed-fire groups sit among the finished runs by their newest fire.
            let mut rest: Vec<(DateTime<Utc>, InboxItem)> = finished
                .into_iter()
                .map(|run| {
                    (
                        run.finished_at.unwrap_or(run.queued_at),
                        InboxItem::Run { run: Box::new(run) },
                    )
                })
                .collect();
            rest.extend(groups.into_iter().map(|g| {
                (
                    g.last_at,
                    InboxItem::MissedFires {
                        automation_id: g.automation_id,
                        count: g.count,
                        first_at: g.first_at,
                        last_at: g.last_at,
                        ran_latest: g.ran_latest,
                    },
                )
            }));
            rest.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
            items.extend(rest.into_iter().map(|(_, item)| item));
        }
        Ok(Inbox {
            items,
            counts: InboxCounts {
                needs_me,
                failed,
                total: listed.saturating_add(group_count),
            },
            truncated,
        })
    }

    /// Files every unseen finished run as seen ("mark all read"), or only one automation's
    /// missed fires. Returns how many runs it filed.
    pub async fn mark_all_seen(&self, missed_of: Option<&AutomationId>) -> Result<u64> {
        let mut conn = self.shared.store.connection().await?;
        store::inbox::mark_all_seen(&mut conn, missed_of, self.shared.clock.now()).await
    }
}
