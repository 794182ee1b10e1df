//! Whether the store can be reached, for the app's banner and the daemon's log, and the one
//! task that tries to reach it again while it cannot.
//!
//! The background loops that touch the store (lease keeping, outbox following) report a
//! failed call here; only a lost connection ([`Error::is_connection_loss`]) turns the state
//! to [`StoreHealth::Reconnecting`]. While it is, those loops wait instead of each failing
//! on its own timer, and one prober runs `SELECT 1` with exponential backoff. When it
//! answers, the state goes back to [`StoreHealth::Connected`] and whatever waits goes on at
//! once: the lease is renewed, the outbox read, the queue and the schedule looked at again.
//!
//! Nothing here runs on the hot path: a step's writes never look at the state, and on
//! SQLite (a file in this process) it practically never changes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;

use super::Shared;
use crate::error::Error;

/// Whether this process reaches its store.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum StoreHealth {
    Connected,
    /// The connection was lost; the engine is trying to reach the database again.
    Reconnecting {
        /// When the loss was noticed.
        since: DateTime<Utc>,
        /// The number of the next try (1 for the first).
        attempt: u32,
        /// When the next try is made (sooner when asked to retry now).
        next_try_at: DateTime<Utc>,
        /// Why the last try (or the call that noticed the loss) failed, with known secrets
        /// redacted.
        error: String,
    },
}

impl StoreHealth {
    pub fn is_connected(&self) -> bool {
        matches!(self, StoreHealth::Connected)
    }
}

/// The first wait before a try, doubled after each failed one up to [`MAX_DELAY`].
const FIRST_DELAY: Duration = Duration::from_secs(1);
const MAX_DELAY: Duration = Duration::from_secs(30);
/// How long one try may take: a host that drops packets must not hold the prober.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// The state, its watchers, and the prober's wake-ups. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Health {
    inner: Arc<Inner>,
}

struct Inner {
    state: watch::Sender<StoreHealth>,
    /// Counts the reconnections: loops that wait for the store watch it.
    reconnections: watch::Sender<u64>,
    /// Wakes the prober when a loss is reported.
    lost: Notify,
    /// Makes the prober try at once (the app's Retry now).
    retry_now: Notify,
}

impl Health {
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                state: watch::Sender::new(StoreHealth::Connected),
                reconnections: watch::Sender::new(0),
                lost: Notify::new(),
                retry_now: Notify::new(),
            }),
        }
    }

    pub fn subscribe(&self) -> watch::Receiver<StoreHealth> {
        self.inner.state.subscribe()
    }

    pub fn is_connected(&self) -> bool {
        self.inner.state.borrow().is_connected()
    }

    /// Reports a failed call to the store. Returns whether it was a lost connection (then
    /// the prober takes over and the caller need not log it); other errors are the caller's.
    pub fn report(&self, error: &Error, now: DateTime<Utc>) -> bool {
        if !error.is_connection_loss() {
            return false;
        }
        let message = crate::secrets::redact(&error.to_string()).into_owned();
        let lost = self.inner.state.send_if_modified(|state| {
            if !state.is_connected() {
                return false; // the prober already tries
            }
            *state = StoreHealth::Reconnecting {
                since: now,
                attempt: 1,
                next_try_at: now + delta(FIRST_DELAY),
                error: message.clone(),
            };
            true
        });
        if lost {
            tracing::warn!(
                "lost the connection to the team database: {message}; retrying in {} s",
                FIRST_DELAY.as_secs()
            );
            self.inner.lost.notify_one();
        }
        true
    }

    /// Makes the prober try at once, if it is waiting.
    pub fn retry_now(&self) {
        self.inner.retry_now.notify_one();
    }

    /// A receiver whose `changed()` completes at each reconnection.
    pub fn reconnections(&self) -> watch::Receiver<u64> {
        self.inner.reconnections.subscribe()
    }

    /// Waits until the store is connected again, or `stop`; returns false on `stop`.
    pub async fn wait_connected(&self, stop: &CancellationToken) -> bool {
        let mut state = self.subscribe();
        tokio::select! {
            _ = stop.cancelled() => false,
            connected = state.wait_for(StoreHealth::is_connected) => connected.is_ok(),
        }
    }
}

/// Completes at the next reconnection (never, should the sender be gone: it lives as long
/// as the engine).
pub(crate) async fn reconnected(reconnections: &mut watch::Receiver<u64>) {
    if reconnections.changed().await.is_err() {
        std::future::pending::<()>().await;
    }
}

fn delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::seconds(30))
}

/// The wait after `failed` failed tries: 1 s, 2 s, 4 s ... up to 30 s, plus up to a tenth
/// more so that workers cut off together do not all knock at the same instant.
fn backoff(failed: u32) -> Duration {
    let base = base_backoff(failed);
    // Jitter from the clock's nanoseconds: no randomness needed beyond spreading.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    base + base.mul_f64(f64::from(nanos % 100) / 1000.0)
}

fn base_backoff(failed: u32) -> Duration {
    FIRST_DELAY
        .saturating_mul(1u32.checked_shl(failed.min(16)).unwrap_or(u32::MAX))
        .min(MAX_DELAY)
}

/// Runs until `stop`: while the store is unreachable, tries it with backoff; when it
/// answers, says so and wakes what waits for it.
pub(crate) async fn probe(shared: Arc<Shared>, health: Health, stop: CancellationToken) {
    let inner = &health.inner;
    loop {
        if health.is_connected() {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = inner.lost.notified() => {}
            }
            continue;
        }
        let lost_at = Instant::now();
        let mut failed: u32 = 0;
        let mut delay = FIRST_DELAY;
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(delay) => {}
                _ = inner.retry_now.notified() => {}
            }
            let tried = match tokio::time::timeout(PROBE_TIMEOUT, shared.store.ping()).await {
                Ok(tried) => tried.map_err(|e| e.to_string()),
                Err(_) => Err(format!(
                    "the database did not answer within {} s",
                    PROBE_TIMEOUT.as_secs()
                )),
            };
            match tried {
                Ok(()) => break,
                Err(error) => {
                    failed = failed.saturating_add(1);
                    delay = backoff(failed);
                    let error = crate::secrets::redact(&error).into_owned();
                    let now = shared.clock.now();
                    let attempt = failed.saturating_add(1);
                    tracing::warn!(
                        "cannot reach the team database yet: {error}; retrying in {} s (attempt {attempt})",
                        delay.as_secs()
                    );
                    inner.state.send_modify(|state| {
                        if let StoreHealth::Reconnecting { since, .. } = state {
                            *state = StoreHealth::Reconnecting {
                                since: *since,
                                attempt,
                                next_try_at: now + delta(delay),
                                error,
                            };
                        }
                    });
                }
            }
        }
        tracing::info!(
            "reconnected to the team database after {} s",
            lost_at.elapsed().as_secs()
        );
        inner.state.send_replace(StoreHealth::Connected);
        inner.reconnections.send_modify(|count| *count += 1);
        // What may have been missed meanwhile: runs queued or ended, automations changed.
        shared.queue.wake();
        shared.schedule_changed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_from_one_second_up_to_thirty() {
        let waits: Vec<u64> = (0..8)
            .map(|failed| base_backoff(failed).as_secs())
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30, 30]);
        for failed in [0, 3, 5, u32::MAX] {
            let (base, wait) = (base_backoff(failed), backoff(failed));
            assert!(
                base <= wait && wait <= base + base / 10,
                "{wait:?} after {base:?}"
            );
        }
    }

    fn lost() -> Error {
        Error::Database(sqlx::Error::Io(std::io::ErrorKind::ConnectionReset.into()))
    }

    #[tokio::test]
    async fn a_lost_connection_turns_the_state_once_and_other_errors_do_not() {
        let health = Health::new();
        let mut watcher = health.subscribe();
        let now = Utc::now();
        assert!(!health.report(&Error::Corrupt("x".into()), now));
        assert!(health.is_connected());
        assert!(health.report(&lost(), now));
        assert!(watcher.has_changed().unwrap());
        match &*watcher.borrow_and_update() {
            StoreHealth::Reconnecting { attempt, error, .. } => {
                assert_eq!(*attempt, 1);
                assert!(error.contains("reset"), "{error}");
            }
            other => panic!("expected reconnecting, got {other:?}"),
        }
        // A second report while reconnecting changes nothing: the prober owns the state.
        assert!(health.report(&lost(), now));
        assert!(!watcher.has_changed().unwrap());
    }

    #[test]
    fn the_state_reads_as_tagged_json() {
        let json = serde_json::to_value(StoreHealth::Connected).unwrap();
        assert_eq!(json, serde_json::json!({ "state": "connected" }));
    }
}
