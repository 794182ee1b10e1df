//! Schedule arithmetic: when a trigger fires next, which fires were missed, and how to say a
//! schedule in words. Pure functions over [`Trigger`] and [`StopCondition`]; the scheduler
//! task and the editor's live preview both build on them.
//!
//! # Semantics
//!
//! * **Manual** never fires on its own.
//! * **Once** fires at `fire_at` if that is strictly after the moment asked about.
//! * **Interval** fires are anchored: `anchor + k * every` for `k >= 1`, where the anchor is
//!   the previous fire or, for a new automation, its creation time. A long run never makes
//!   the schedule drift, and the anchor itself is never a fire. An interval of 0 ms never
//!   fires (validation rejects anything under 30 s anyway).
//! * **Cron** takes exactly five fields (minute hour day-of-month month day-of-week), matched
//!   by `croner` against the wall clock of the IANA zone. Day-of-month and day-of-week combine
//!   as in standard (Vixie) cron, croner's default: when both are restricted, a day matching
//!   *either* fires. Extensions croner understands (`L`, `W`, `#`, names) are accepted.
//!   An expression that can never match (`0 0 31 2 *`) simply has no next fire.
//!
//! # Daylight-saving time
//!
//! croner itself works on the zone's naive wall clock and, given a `DateTime<Tz>`, resolves a
//! repeated wall time to its first occurrence even when the search started in the second
//! one, so it can return a fire *before* the start (a duplicate). It also gives up on gaps
//! longer than an hour. We therefore let croner match in plain wall-clock time (it runs on
//! a naive `DateTime<Utc>`, which has no transitions) and map each match to an instant here:
//!
//! * a wall time skipped by spring-forward fires once, at the first instant after the gap
//!   (02:30 on the spring-forward day in Europe/Berlin fires at 03:00 CEST = 01:00 UTC);
//!   several skipped matches (`*/15` inside the gap) collapse into that one fire;
//! * a wall time repeated by fall-back fires once, at its first occurrence;
//! * matches whose instant is not strictly after the start (the repeated hour seen from its
//!   second pass) are skipped, so fires are strictly increasing and never duplicated.

use std::collections::VecDeque;

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use croner::errors::CronError;
use croner::Cron;
use serde::{Deserialize, Serialize};

use crate::model::definition::{StopCondition, Trigger};

/// Why a trigger cannot be scheduled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("invalid cron expression `{expression}`: {message}")]
    InvalidCron { expression: String, message: String },
    #[error("invalid time zone `{0}`: expected an IANA time zone such as Europe/Berlin or UTC")]
    InvalidTimezone(String),
}

/// What the editor shows while a schedule is being edited.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchedulePreview {
    pub fires: Vec<DateTime<Utc>>,
    pub description: String,
}

/// The next fire strictly after `after`, or `None` (manual, a past one-shot, a cron
/// expression that never matches again, ...). For intervals, fires are anchored:
/// `anchor + k * every` (`k >= 1`; the anchor is the previous fire or, for a new automation,
/// its creation time), never drifting with run length. Cron triggers ignore `anchor`.
pub fn next_fire(
    trigger: &Trigger,
    anchor: DateTime<Utc>,
    after: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, ScheduleError> {
    Plan::new(trigger, anchor)?.next_after(after)
}

/// Up to `count` fires strictly after `from`, honouring the stop condition: `until` drops
/// fires after its time (a fire exactly at it stays); `after_runs { count }` with `runs_done`
/// finished runs allows at most `count - runs_done` more.
pub fn next_fires(
    trigger: &Trigger,
    stop: &StopCondition,
    anchor: DateTime<Utc>,
    from: DateTime<Utc>,
    runs_done: u32,
    count: usize,
) -> Result<Vec<DateTime<Utc>>, ScheduleError> {
    let plan = Plan::new(trigger, anchor)?;
    let (count, until) = match *stop {
        StopCondition::Never => (count, None),
        StopCondition::AfterRuns { count: runs } => {
            let remaining = usize::try_from(runs.saturating_sub(runs_done)).unwrap_or(usize::MAX);
            (count.min(remaining), None)
        }
        StopCondition::Until { at } => (count, Some(at)),
    };
    let mut fires = Vec::with_capacity(count.min(64));
    let mut cursor = from;
    while fires.len() < count {
        let Some(fire) = plan.next_after(cursor)? else {
            break;
        };
        if until.is_some_and(|until| fire > until) {
            break;
        }
        fires.push(fire);
        cursor = fire;
    }
    Ok(fires)
}

/// Fires in `(after, up_to]`, for the fires missed while the app was closed or the machine
/// slept. Returns at most `limit` of them (the *last* `limit`, oldest first) and how many
/// there were in all.
pub fn fires_between(
    trigger: &Trigger,
    anchor: DateTime<Utc>,
    after: DateTime<Utc>,
    up_to: DateTime<Utc>,
    limit: usize,
) -> Result<(Vec<DateTime<Utc>>, usize), ScheduleError> {
    let plan = Plan::new(trigger, anchor)?;
    if up_to <= after {
        return Ok((Vec::new(), 0));
    }
    let due = plan.fires_through(after, up_to, limit)?;
    Ok((due.fires, due.total))
}

/// The fires due by `up_to` ([`fires_between`] from `anchor`: the last `limit` of them and
/// how many in all) and the first fire after them, from one parse of the trigger: what a
/// scheduler needs to record a fire and plan the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueFires {
    pub fires: Vec<DateTime<Utc>>,
    pub total: usize,
    /// The first fire after `up_to` (and after `anchor`).
    pub next: Option<DateTime<Utc>>,
}

pub fn fires_due(
    trigger: &Trigger,
    anchor: DateTime<Utc>,
    up_to: DateTime<Utc>,
    limit: usize,
) -> Result<DueFires, ScheduleError> {
    let plan = Plan::new(trigger, anchor)?;
    if up_to <= anchor {
        return Ok(DueFires {
            fires: Vec::new(),
            total: 0,
            next: plan.next_after(anchor)?,
        });
    }
    plan.fires_through(anchor, up_to, limit)
}

/// How far ahead a recurring trigger must fire at least once to be accepted.
pub const FIRST_FIRE_HORIZON_YEARS: u32 = 5;

/// Whether `trigger` fires at least once within [`FIRST_FIRE_HORIZON_YEARS`] after `from`
/// (a cron expression such as `0 9 31 2 *`, 31 February, never does). Triggers that cannot be
/// scheduled count as firing: their own checks report them.
pub fn fires_soon(trigger: &Trigger, from: DateTime<Utc>) -> bool {
    let horizon = from
        .checked_add_months(chrono::Months::new(FIRST_FIRE_HORIZON_YEARS * 12))
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    match next_fire(trigger, from, from) {
        Ok(Some(fire)) => fire <= horizon,
        Ok(None) => false,
        Err(_) => true,
    }
}

/// What the editor shows: the next `count` fires after `from` (a new schedule, so the anchor
/// is `from` and no runs are done yet) and the schedule in words.
pub fn preview(
    trigger: &Trigger,
    stop: &StopCondition,
    from: DateTime<Utc>,
    count: usize,
) -> Result<SchedulePreview, ScheduleError> {
    Ok(SchedulePreview {
        fires: next_fires(trigger, stop, from, from, 0, count)?,
        description: describe(trigger, stop),
    })
}

/// The schedule as a sentence for people, e.g. "Every weekday at 09:00 (Europe/Berlin)",
/// "Every 30 minutes, 10 runs in all", "Cron `0 9 1-7 * 1` (UTC)" when there is no simpler
/// way to say it. Stop conditions are appended only to recurring triggers (the only ones
/// that may carry them). Never fails: an invalid expression is shown as it is.
pub fn describe(trigger: &Trigger, stop: &StopCondition) -> String {
    let mut text = match trigger {
        Trigger::Manual => "Manual only".to_string(),
        Trigger::Once { fire_at } => {
            format!("Once on {}", fire_at.format("%a %-d %b %Y at %H:%M UTC"))
        }
        Trigger::Interval { every_ms } => describe_interval(*every_ms),
        Trigger::Cron {
            expression,
            timezone,
        } => describe_cron(expression, timezone)
            .unwrap_or_else(|| format!("Cron `{}` ({timezone})", expression.trim())),
    };
    if trigger.is_recurring() {
        match stop {
            StopCondition::Never => {}
            StopCondition::AfterRuns { count: 1 } => text.push_str(", 1 run in all"),
            StopCondition::AfterRuns { count } => {
                text.push_str(&format!(", {count} runs in all"));
            }
            StopCondition::Until { at } => {
                text.push_str(&format!(", until {}", at.format("%Y-%m-%d %H:%M UTC")));
            }
        }
    }
    text
}

// ---------------------------------------------------------------------------------------
// Computing fires

/// A trigger, parsed once, ready to answer "what comes after this instant".
enum Plan {
    Never,
    Once(DateTime<Utc>),
    Interval {
        anchor: DateTime<Utc>,
        every: Duration,
    },
    Cron {
        cron: Box<Cron>,
        tz: Tz,
    },
}

impl Plan {
    /// The fires after `after` up to `up_to` (the last `limit` of them, and how many in all),
    /// and the first one after `up_to`.
    fn fires_through(
        &self,
        after: DateTime<Utc>,
        up_to: DateTime<Utc>,
        limit: usize,
    ) -> Result<DueFires, ScheduleError> {
        if let Plan::Interval { anchor, every } = *self {
            let (fires, total) = interval_fires_between(anchor, every, after, up_to, limit);
            return Ok(DueFires {
                fires,
                total,
                next: self.next_after(up_to.max(after))?,
            });
        }
        let mut last = VecDeque::with_capacity(limit.min(1024));
        let mut total = 0usize;
        let mut cursor = after;
        let next = loop {
            let Some(fire) = self.next_after(cursor)? else {
                break None;
            };
            if fire > up_to {
                break Some(fire);
            }
            total = total.saturating_add(1);
            if limit > 0 {
                if last.len() == limit {
                    last.pop_front();
                }
                last.push_back(fire);
            }
            cursor = fire;
        };
        Ok(DueFires {
            fires: last.into(),
            total,
            next,
        })
    }

    fn new(trigger: &Trigger, anchor: DateTime<Utc>) -> Result<Plan, ScheduleError> {
        Ok(match trigger {
            Trigger::Manual => Plan::Never,
            Trigger::Once { fire_at } => Plan::Once(*fire_at),
            Trigger::Interval { every_ms } => match i64::try_from(*every_ms)
                .ok()
                .filter(|ms| *ms > 0)
                .and_then(Duration::try_milliseconds)
            {
                Some(every) => Plan::Interval { anchor, every },
                None => Plan::Never,
            },
            Trigger::Cron {
                expression,
                timezone,
            } => Plan::Cron {
                cron: Box::new(parse_cron(expression)?),
                tz: parse_timezone(timezone)?,
            },
        })
    }

    fn next_after(&self, after: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, ScheduleError> {
        Ok(match self {
            Plan::Never => None,
            Plan::Once(fire_at) => (*fire_at > after).then_some(*fire_at),
            Plan::Interval { anchor, every } => interval_index_after(*anchor, *every, after)
                .and_then(|k| interval_fire(*anchor, *every, k)),
            Plan::Cron { cron, tz } => cron_next_after(cron, *tz, after)?,
        })
    }
}

/// The smallest `k >= 1` with `anchor + k * every > after`.
fn interval_index_after(
    anchor: DateTime<Utc>,
    every: Duration,
    after: DateTime<Utc>,
) -> Option<i64> {
    let every_ms = every.num_milliseconds();
    if after < anchor {
        return Some(1);
    }
    // `after - anchor >= 0`, so truncating to whole milliseconds is flooring, and
    // floor(floor(d) / n) == floor(d / n) for a whole number of milliseconds n.
    let elapsed_ms = after.signed_duration_since(anchor).num_milliseconds();
    (elapsed_ms / every_ms).checked_add(1)
}

fn interval_fire(anchor: DateTime<Utc>, every: Duration, k: i64) -> Option<DateTime<Utc>> {
    let offset = every.num_milliseconds().checked_mul(k)?;
    anchor.checked_add_signed(Duration::try_milliseconds(offset)?)
}

fn interval_fires_between(
    anchor: DateTime<Utc>,
    every: Duration,
    after: DateTime<Utc>,
    up_to: DateTime<Utc>,
    limit: usize,
) -> (Vec<DateTime<Utc>>, usize) {
    let Some(first) = interval_index_after(anchor, every, after) else {
        return (Vec::new(), 0);
    };
    if up_to < anchor {
        return (Vec::new(), 0);
    }
    let last = up_to.signed_duration_since(anchor).num_milliseconds() / every.num_milliseconds();
    if last < first {
        return (Vec::new(), 0);
    }
    let total = usize::try_from(last - first + 1).unwrap_or(usize::MAX);
    let shown = i64::try_from(limit.min(total)).unwrap_or(i64::MAX);
    let fires = (last - shown + 1..=last)
        .filter_map(|k| interval_fire(anchor, every, k))
        .collect();
    (fires, total)
}

fn parse_cron(expression: &str) -> Result<Cron, ScheduleError> {
    let invalid = |message: String| ScheduleError::InvalidCron {
        expression: expression.to_string(),
        message,
    };
    let fields = expression.split_whitespace().count();
    if fields != 5 {
        return Err(invalid(format!(
            "expected 5 fields (minute hour day-of-month month day-of-week), found {fields}"
        )));
    }
    Cron::new(expression)
        .parse()
        .map_err(|e| invalid(e.to_string()))
}

fn parse_timezone(timezone: &str) -> Result<Tz, ScheduleError> {
    timezone
        .parse::<Tz>()
        .map_err(|_| ScheduleError::InvalidTimezone(timezone.to_string()))
}

/// The first cron fire strictly after `after`; see the module docs for the DST rules.
fn cron_next_after(
    cron: &Cron,
    tz: Tz,
    after: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, ScheduleError> {
    // croner matches wall-clock fields; a `DateTime<Utc>` carrying the zone's naive local
    // time gives it a clock without transitions. Whole seconds: croner's exclusive search
    // adds one second, and a 5-field expression only matches at second 0.
    let local = after.with_timezone(&tz).naive_local();
    let mut wall = local.with_nanosecond(0).unwrap_or(local);
    loop {
        let found = match cron.find_next_occurrence(&Utc.from_utc_datetime(&wall), false) {
            Ok(found) => found.naive_utc(),
            // Nothing before croner's year limit: the expression never matches again.
            Err(CronError::TimeSearchLimitExceeded) => return Ok(None),
            Err(e) => {
                return Err(ScheduleError::InvalidCron {
                    expression: cron.as_str().to_string(),
                    message: e.to_string(),
                })
            }
        };
        // Wall-clock instants map monotonically to real ones, so the first match landing
        // strictly after `after` is the answer. Only matches in a repeated hour, already
        // fired on its first pass, can land at or before it.
        match resolve_wall_time(tz, found) {
            Some(fire) if fire > after => return Ok(Some(fire)),
            Some(_) => wall = found,
            None => return Ok(None),
        }
    }
}

/// The instant a wall-clock time in `tz` stands for: itself if it exists once, its first
/// occurrence if fall-back repeats it, the first instant after the gap if spring-forward
/// skips it.
fn resolve_wall_time(tz: Tz, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&wall) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, second) => Some(first.min(second).with_timezone(&Utc)),
        LocalResult::None => first_after_gap(tz, wall),
    }
}

/// `wall` lies in a gap: find the first wall time after it that exists (the gap's end).
/// Gaps end on whole minutes in today's tz database; refine to the second for old
/// local-mean-time offsets. Gaps last up to a day (Pacific/Apia skipped 30 Dec 2011).
fn first_after_gap(tz: Tz, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
    let exists = |t: NaiveDateTime| !matches!(tz.from_local_datetime(&t), LocalResult::None);
    let minute = Duration::minutes(1);
    let second = Duration::seconds(1);
    let mut candidate = wall.checked_add_signed(minute)?;
    let mut steps = 0;
    while !exists(candidate) {
        steps += 1;
        if steps > 2 * 24 * 60 {
            return None;
        }
        candidate = candidate.checked_add_signed(minute)?;
    }
    while let Some(earlier) = candidate.checked_sub_signed(second) {
        if earlier <= wall || !exists(earlier) {
            break;
        }
        candidate = earlier;
    }
    match tz.from_local_datetime(&candidate) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, second) => Some(first.min(second).with_timezone(&Utc)),
        LocalResult::None => None,
    }
}

// ---------------------------------------------------------------------------------------
// Describing schedules

fn describe_interval(every_ms: u64) -> String {
    const SECOND: u64 = 1_000;
    const MINUTE: u64 = 60 * SECOND;
    const HOUR: u64 = 60 * MINUTE;
    const DAY: u64 = 24 * HOUR;
    const WEEK: u64 = 7 * DAY;
    let units = [
        (WEEK, "week", "weeks"),
        (DAY, "day", "days"),
        (HOUR, "hour", "hours"),
        (MINUTE, "minute", "minutes"),
        (SECOND, "second", "seconds"),
    ];
    if every_ms == 0 {
        return "Never (an interval of 0 ms)".to_string();
    }
    for (size, one, many) in units {
        if every_ms % size == 0 {
            return every(every_ms / size, one, many);
        }
    }
    every(every_ms, "millisecond", "milliseconds")
}

fn every(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("Every {one}")
    } else {
        format!("Every {n} {many}")
    }
}

/// The simple shapes people write most; `None` means "say the expression itself".
fn describe_cron(expression: &str, timezone: &str) -> Option<String> {
    let fields: Vec<&str> = expression.split_whitespace().collect();
    let [minute, hour, dom, month, dow] = fields.as_slice() else {
        return None;
    };
    let any = |field: &str| field == "*" || field == "?";
    if !any(month) {
        return None;
    }
    // Minute-level shapes, the same in every zone.
    if any(hour) && any(dom) && any(dow) {
        if any(minute) {
            return Some("Every minute".to_string());
        }
        if let Some(step) = minute.strip_prefix("*/") {
            let step: u64 = step.parse().ok()?;
            // Only steps that divide the hour are truly "every n minutes".
            return (1..=30)
                .contains(&step)
                .then_some(step)
                .filter(|step| 60 % step == 0)
                .map(|step| every(step, "minute", "minutes"));
        }
        let minute = number(minute, 0, 59)?;
        return Some(format!("At minute {minute} of every hour"));
    }
    // Daily shapes: a fixed time of day, in the zone.
    let at = format!(
        "at {:02}:{:02} ({timezone})",
        number(hour, 0, 23)?,
        number(minute, 0, 59)?
    );
    match (any(dom), any(dow)) {
        (true, true) => Some(format!("Every day {at}")),
        (false, true) => Some(format!(
            "On day {} of every month {at}",
            number(dom, 1, 31)?
        )),
        (true, false) => {
            let days = weekdays(dow)?;
            Some(format!("{} {at}", describe_weekdays(&days)))
        }
        (false, false) => None,
    }
}

fn number(field: &str, min: u32, max: u32) -> Option<u32> {
    if field.is_empty() || !field.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    field.parse().ok().filter(|n| (min..=max).contains(n))
}

const WEEKDAY_NAMES: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// The days a plain day-of-week field selects (numbers 0-7 or SUN..SAT, lists and ranges),
/// indexed from Sunday; `None` for steps, `L`, `#` and anything else.
fn weekdays(field: &str) -> Option<[bool; 7]> {
    fn day(token: &str) -> Option<usize> {
        const SHORT: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
        if let Some(n) = number(token, 0, 7) {
            return usize::try_from(n).ok();
        }
        let upper = token.to_ascii_uppercase();
        SHORT.iter().position(|name| *name == upper)
    }
    let mut days = [false; 7];
    for part in field.split(',') {
        match part.split_once('-') {
            Some((from, to)) => {
                let (from, to) = (day(from)?, day(to)?);
                if from > to {
                    return None;
                }
                for d in from..=to {
                    days[d % 7] = true;
                }
            }
            None => days[day(part)? % 7] = true,
        }
    }
    Some(days)
}

fn describe_weekdays(days: &[bool; 7]) -> String {
    const WORKWEEK: [bool; 7] = [false, true, true, true, true, true, false];
    if *days == WORKWEEK {
        return "Every weekday".to_string();
    }
    if days.iter().all(|d| *d) {
        return "Every day".to_string();
    }
    // Monday first, the way calendars around here read.
    let names: Vec<&str> = [1, 2, 3, 4, 5, 6, 0]
        .into_iter()
        .filter(|d| days[*d])
        .map(|d| WEEKDAY_NAMES[d])
        .collect();
    match names.as_slice() {
        [] => "Never".to_string(),
        [one] => format!("Every {one}"),
        [init @ .., last] => format!("Every {} and {last}", init.join(", ")),
    }
}
