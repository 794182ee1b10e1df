//! What the engine tells the person at the machine. The desktop shell implements
//! [`Notifier`] with native notifications; the CLI prints.

use crate::definition::Automation;
use crate::ledger::{Blocker, Run};

/// Something worth a native notification.
#[derive(Debug, Clone)]
pub enum Notification {
    /// An attended run waits for a permission or an answer.
    BlockerRaised {
        automation: Box<Automation>,
        run: Box<Run>,
        blocker: Blocker,
    },
    /// An automation failed too many times in a row and paused itself.
    AutomationPaused { automation: Box<Automation> },
    /// A run nobody was watching (a schedule) failed.
    RunFailed {
        automation: Box<Automation>,
        run: Box<Run>,
    },
}

impl Notification {
    /// A one-line title and body, as a notification shows them.
    pub fn title_and_body(&self) -> (String, String) {
        match self {
            Notification::BlockerRaised {
                automation,
                blocker,
                ..
            } => {
                let body = match blocker {
                    Blocker::Permission { summary, .. } => format!("wants to {summary}"),
                    Blocker::Question { questions, .. } => match questions.first() {
                        Some(q) => format!("asks: {}", q.question),
                        None => "asks a question".to_owned(),
                    },
                };
                (automation.spec.title.clone(), body)
            }
            Notification::AutomationPaused { automation } => (
                automation.spec.title.clone(),
                format!(
                    "paused after {} failed runs in a row; resume it once the cause is fixed",
                    automation.status.failure_streak
                ),
            ),
            Notification::RunFailed { automation, run } => {
                let body = match &run.error {
                    Some(error) => format!("failed ({}): {}", error.code, error.message),
                    None => "failed".to_owned(),
                };
                (automation.spec.title.clone(), body)
            }
        }
    }
}

/// Delivers notifications. Implementations must not block: queue and return.
pub trait Notifier: Send + Sync + 'static {
    fn notify(&self, notification: Notification);
}

/// Drops every notification (tests, scripts).
#[derive(Debug, Default, Clone, Copy)]
pub struct SilentNotifier;

impl Notifier for SilentNotifier {
    fn notify(&self, _notification: Notification) {}
}
