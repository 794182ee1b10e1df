//! The Overview's figures, computed by the engine so they stay fast at any number of runs:
//! runs and cost per day in the user's time zone, and the fires coming up.

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::Engine;
use crate::definition::{StopCondition, Trigger};
use crate::error::{Error, Result, ValidationDetail};
use crate::ids::AutomationId;
use crate::store;

/// The longest history the Overview asks for, and the furthest it looks ahead.
pub const STATS_DAYS_MAX: u32 = 366;
pub const UPCOMING_HOURS_MAX: u32 = 24 * 14;
/// Fires listed per automation and in all, so an every-minute schedule cannot flood it.
const UPCOMING_PER_AUTOMATION: usize = 96;
const UPCOMING_MAX: usize = 2000;

/// Runs queued on one day (missed fires left out).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayStats {
    /// The day in the requested time zone, `YYYY-MM-DD`.
    pub day: String,
    pub runs: u32,
    pub succeeded: u32,
    pub failed: u32,
    pub stopped: u32,
    pub cost_usd: f64,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunStats {
    /// Oldest first, one per day, today last.
    pub days: Vec<DayStats>,
    pub runs: u32,
    pub succeeded: u32,
    pub failed: u32,
    pub cost_usd: f64,
    /// Succeeded out of succeeded and failed; none when neither happened.
    pub success_rate: Option<f64>,
}

/// One fire coming up.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpcomingFire {
    pub automation_id: AutomationId,
    pub title: String,
    pub at: DateTime<Utc>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Upcoming {
    /// Soonest first.
    pub fires: Vec<UpcomingFire>,
    /// Whether some fires were left out (a very frequent schedule, or too many in all).
    pub truncated: bool,
}

fn parse_zone(time_zone: &str) -> Result<Tz> {
    time_zone.parse::<Tz>().map_err(|_| {
        Error::InvalidInput(vec![
            ValidationDetail::new("time_zone", "invalid_timezone").with_hint(time_zone.to_owned())
        ])
    })
}

/// The instant a day starts in `zone` (the first valid local time, for days that begin in
/// a DST gap).
fn day_start(zone: Tz, day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    (0..4)
        .find_map(|hour| {
            zone.from_local_datetime(&(midnight + chrono::TimeDelta::hours(hour)))
                .earliest()
        })
        .map_or_else(
            || Utc.from_utc_datetime(&midnight),
            |t| t.with_timezone(&Utc),
        )
}

impl Engine {
    /// Runs and cost for each of the last `days` days (today included) in `time_zone`.
    pub async fn run_stats(&self, days: u32, time_zone: &str) -> Result<RunStats> {
        if !(1..=STATS_DAYS_MAX).contains(&days) {
            return Err(Error::InvalidInput(vec![ValidationDetail::new(
                "days",
                "days_out_of_range_1_366",
            )]));
        }
        let zone = parse_zone(time_zone)?;
        let today = self.shared.clock.now().with_timezone(&zone).date_naive();
        let first = today
            .checked_sub_days(Days::new(u64::from(days - 1)))
            .unwrap_or(today);
        let dates: Vec<NaiveDate> = first.iter_days().take(days as usize).collect();
        let ranges: Vec<(DateTime<Utc>, DateTime<Utc>)> = dates
            .iter()
            .map(|day| {
                let next = day.succ_opt().unwrap_or(*day);
                (day_start(zone, *day), day_start(zone, next))
            })
            .collect();
        let mut conn = self.shared.store.connection().await?;
        let counts = store::overview::counts_per_range(&mut conn, &ranges).await?;
        let days: Vec<DayStats> = dates
            .iter()
            .zip(counts)
            .map(|(day, c)| DayStats {
                day: day.format("%Y-%m-%d").to_string(),
                runs: c.runs,
                succeeded: c.succeeded,
                failed: c.failed,
                stopped: c.stopped,
                cost_usd: c.cost_usd,
            })
            .collect();
        let sum = |f: fn(&DayStats) -> u32| days.iter().map(f).fold(0u32, u32::saturating_add);
        let (succeeded, failed) = (sum(|d| d.succeeded), sum(|d| d.failed));
        Ok(RunStats {
            runs: sum(|d| d.runs),
            succeeded,
            failed,
            cost_usd: days.iter().map(|d| d.cost_usd).sum(),
            success_rate: (succeeded + failed > 0)
                .then(|| f64::from(succeeded) / f64::from(succeeded + failed)),
            days,
        })
    }

    /// The fires of every active schedule in the next `hours` hours, soonest first.
    pub async fn upcoming_fires(&self, hours: u32) -> Result<Upcoming> {
        if !(1..=UPCOMING_HOURS_MAX).contains(&hours) {
            return Err(Error::InvalidInput(vec![ValidationDetail::new(
                "hours",
                "hours_out_of_range_1_336",
            )]));
        }
        let now = self.shared.clock.now();
        let until = now + chrono::TimeDelta::hours(i64::from(hours));
        let mut truncated = false;
        let mut fires = Vec::new();
        for automation in self.list_automations().await? {
            let Some(first) = automation.status.next_fire_at else {
                continue;
            };
            if first > until {
                continue;
            }
            let spec = &automation.spec;
            // `after_runs` allows only as many fires as the status listed when it is near
            // its end; the status already applied the count of finished runs.
            let count = match spec.stop {
                StopCondition::AfterRuns { .. } if automation.status.next_fires.len() < 5 => {
                    automation.status.next_fires.len()
                }
                _ => UPCOMING_PER_AUTOMATION,
            };
            let mut times = vec![first];
            if !matches!(spec.trigger, Trigger::Once { .. }) && count > 1 {
                let later = crate::schedule::next_fires(
                    &spec.trigger,
                    &spec.stop,
                    first,
                    first,
                    0,
                    count - 1,
                )
                .unwrap_or_default();
                times.extend(later);
            }
            let within: Vec<_> = times.into_iter().filter(|t| *t <= until).collect();
            if within.len() >= UPCOMING_PER_AUTOMATION {
                truncated = true;
            }
            fires.extend(within.into_iter().map(|at| UpcomingFire {
                automation_id: automation.id.clone(),
                title: spec.title.clone(),
                at,
            }));
        }
        fires.sort_by(|a, b| a.at.cmp(&b.at).then(a.title.cmp(&b.title)));
        if fires.len() > UPCOMING_MAX {
            fires.truncate(UPCOMING_MAX);
            truncated = true;
        }
        Ok(Upcoming { fires, truncated })
    }
}
