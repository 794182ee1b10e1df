//! Where time comes from. The engine reads the time only through a [`Clock`], so tests can
//! set it; stored timestamps have millisecond precision.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use tokio::sync::watch;

use crate::future::BoxFuture;
// Stored timestamps are `model::time`'s; these paths stay for the code that still uses them.
#[allow(unused_imports)]
pub(crate) use crate::model::time::{from_millis, to_millis, truncate_to_millis};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// The current time, truncated to whole milliseconds.
    fn now(&self) -> DateTime<Utc>;

    /// Completes once this clock reads `deadline` or later.
    fn sleep_until(&self, deadline: DateTime<Utc>) -> BoxFuture<'static, ()>;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        truncate_to_millis(Utc::now())
    }

    fn sleep_until(&self, deadline: DateTime<Utc>) -> BoxFuture<'static, ()> {
        let wait = (deadline - self.now()).to_std().unwrap_or_default();
        Box::pin(tokio::time::sleep(wait))
    }
}

/// A clock that moves only when told to; for tests. Sleepers wake when it is moved past
/// their deadline.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<watch::Sender<DateTime<Utc>>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        let (sender, _) = watch::channel(truncate_to_millis(start));
        Self {
            now: Arc::new(sender),
        }
    }

    pub fn set(&self, to: DateTime<Utc>) {
        self.now.send_replace(truncate_to_millis(to));
    }

    pub fn advance(&self, by: Duration) {
        self.now.send_modify(|now| *now += by);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.borrow()
    }

    fn sleep_until(&self, deadline: DateTime<Utc>) -> BoxFuture<'static, ()> {
        let mut now = self.now.subscribe();
        Box::pin(async move {
            // An error means the clock is gone: nobody can move it any more.
            if now.wait_for(|now| *now >= deadline).await.is_err() {
                std::future::pending::<()>().await;
            }
        })
    }
}

/// The local IANA zone: `$TZ`, `/etc/timezone`, the `/etc/localtime` link, else UTC.
pub fn local_timezone() -> String {
    let from_env = std::env::var("TZ").ok().and_then(|tz| {
        let tz = tz.trim().trim_start_matches(':');
        match tz {
            "" => None,
            path if path.starts_with('/') => zone_from_path(path),
            zone => Some(zone.to_owned()),
        }
    });
    from_env
        .or_else(|| {
            let zone = std::fs::read_to_string("/etc/timezone").ok()?;
            Some(zone.trim().to_owned()).filter(|z| !z.is_empty())
        })
        .or_else(|| {
            let target = std::fs::read_link("/etc/localtime").ok()?;
            zone_from_path(&target.to_string_lossy())
        })
        .unwrap_or_else(|| "UTC".into())
}

/// `Europe/Berlin` from `/usr/share/zoneinfo/Europe/Berlin`.
fn zone_from_path(path: &str) -> Option<String> {
    let (_, zone) = path.split_once("zoneinfo/")?;
    Some(zone.to_owned()).filter(|z| !z.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_names_are_read_from_zoneinfo_paths() {
        assert_eq!(
            zone_from_path("/usr/share/zoneinfo/Europe/Berlin"),
            Some("Europe/Berlin".into())
        );
        assert_eq!(zone_from_path("/etc/localtime"), None);
    }
}
