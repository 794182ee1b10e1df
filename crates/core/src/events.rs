//! The engine's one typed event stream. Every change is appended to the database's event
//! outbox in the transaction that makes it (so other processes can follow it) and then
//! broadcast in this process.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use tokio::sync::broadcast;

pub use crate::model::event::*;

/// How many finished subjects the fence remembers; a late update arrives within moments of
/// the terminal one, so a bounded memory is enough.
const FENCE_MEMORY: usize = 4096;

#[derive(Default)]
struct Fence {
    /// Highest revision published per subject, and whether it was final.
    last: HashMap<String, (u64, bool)>,
    finished: VecDeque<String>,
}

impl Fence {
    /// Whether an event may be published, keeping every subject's revisions increasing and
    /// nothing after a run's terminal update or an automation's deletion.
    fn admit(&mut self, event: &Event) -> bool {
        let (key, revision, is_final, same_revision_ok) = match event {
            Event::RunUpdated(run) => (
                run.id.as_str(),
                run.revision,
                run.state.is_terminal(),
                false,
            ),
            Event::AutomationUpdated(a) => (a.id.as_str(), a.revision, false, false),
            Event::AutomationDeleted { id, revision } => (id.as_str(), *revision, true, false),
            Event::BlockerRaised {
                run_id,
                run_revision,
                ..
            }
            | Event::BlockerResolved {
                run_id,
                run_revision,
                ..
            } => (run_id.as_str(), *run_revision, false, true),
            Event::SessionPart(update) => {
                // Parts carry no revision: they only must not follow the run's end.
                let finished = matches!(self.last.get(update.run_id.as_str()), Some((_, true)));
                return !finished;
            }
        };
        let admitted = match self.last.get(key).copied() {
            None => true,
            Some((_, true)) => false,
            Some((last, false)) => revision > last || (same_revision_ok && revision == last),
        };
        if admitted {
            self.last.insert(key.to_owned(), (revision, is_final));
            if is_final {
                self.finished.push_back(key.to_owned());
                if self.finished.len() > FENCE_MEMORY {
                    if let Some(old) = self.finished.pop_front() {
                        self.last.remove(&old);
                    }
                }
            }
        }
        admitted
    }
}

/// The in-process broadcast of [`EventRecord`]s.
pub struct EventBus {
    sender: broadcast::Sender<EventRecord>,
    fence: Mutex<Fence>,
}

impl EventBus {
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity);
        Self {
            sender,
            fence: Mutex::new(Fence::default()),
        }
    }

    /// A receiver of every event published from now on. A receiver that falls behind gets
    /// `RecvError::Lagged` and should reload what it shows from the store.
    pub fn subscribe(&self) -> broadcast::Receiver<EventRecord> {
        self.sender.subscribe()
    }

    /// Publishes unless the event is stale. Returns whether it went out.
    pub(crate) fn publish(&self, record: EventRecord) -> bool {
        // Admit and send under one lock, so receivers see the admitted order.
        let mut fence = match self.fence.lock() {
            Ok(fence) => fence,
            Err(poisoned) => poisoned.into_inner(),
        };
        let admitted = fence.admit(&record.event);
        if admitted {
            // Having no receiver is fine: nobody is listening.
            let _ = self.sender.send(record);
        }
        admitted
    }
}
