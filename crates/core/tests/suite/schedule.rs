//! Schedule arithmetic: next fires, missed fires, stop conditions, DST, descriptions.

use autowork_core::definition::{StopCondition, Trigger};
use autowork_core::schedule::{
    describe, fires_between, fires_due, next_fire, next_fires, preview, DueFires, ScheduleError,
    SchedulePreview,
};
use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use pretty_assertions::assert_eq;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn cron(expression: &str, timezone: &str) -> Trigger {
    Trigger::Cron {
        expression: expression.to_string(),
        timezone: timezone.to_string(),
    }
}

fn interval_minutes(minutes: u64) -> Trigger {
    Trigger::Interval {
        every_ms: minutes * 60_000,
    }
}

/// All fires in (after, up_to], unlimited.
fn all_between(
    trigger: &Trigger,
    after: DateTime<Utc>,
    up_to: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    let (fires, total) = fires_between(trigger, after, after, up_to, usize::MAX).unwrap();
    assert_eq!(fires.len(), total);
    fires
}

fn assert_strictly_increasing(fires: &[DateTime<Utc>]) {
    for pair in fires.windows(2) {
        assert!(pair[0] < pair[1], "fires not strictly increasing: {pair:?}");
    }
}

// ---------------------------------------------------------------------------------------
// DST: Europe/Berlin (2026: spring forward 29 Mar 01:00 UTC, 02:00 CET -> 03:00 CEST;
// fall back 25 Oct 01:00 UTC, 03:00 CEST -> 02:00 CET)

#[test]
fn berlin_daily_0230_fires_right_after_the_gap_on_the_spring_forward_day() {
    let trigger = cron("30 2 * * *", "Europe/Berlin");
    let fires = next_fires(
        &trigger,
        &StopCondition::Never,
        utc(2026, 3, 27, 12, 0),
        utc(2026, 3, 27, 12, 0),
        0,
        3,
    )
    .unwrap();
    assert_eq!(
        fires,
        vec![
            utc(2026, 3, 28, 1, 30), // 02:30 CET
            utc(2026, 3, 29, 1, 0),  // 02:30 does not exist: 03:00 CEST, once
            utc(2026, 3, 30, 0, 30), // 02:30 CEST
        ]
    );
}

#[test]
fn berlin_daily_0230_fires_once_at_the_first_occurrence_on_the_fall_back_day() {
    let trigger = cron("30 2 * * *", "Europe/Berlin");
    let fires = all_between(&trigger, utc(2026, 10, 23, 12, 0), utc(2026, 10, 26, 12, 0));
    assert_eq!(
        fires,
        vec![
            utc(2026, 10, 24, 0, 30), // 02:30 CEST
            utc(2026, 10, 25, 0, 30), // 02:30 CEST, the first of the two 02:30s
            utc(2026, 10, 26, 1, 30), // 02:30 CET
        ]
    );
}

#[test]
fn berlin_hourly_spring_forward_day_has_every_half_hour_plus_one_fire_for_the_skipped_hour() {
    let trigger = cron("30 * * * *", "Europe/Berlin");
    // The local day 29 Mar 2026: 00:00 CET (28 Mar 23:00 UTC) to 24:00 CEST (22:00 UTC).
    let fires = all_between(&trigger, utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 22, 0));
    assert_strictly_increasing(&fires);
    assert_eq!(
        &fires[..5],
        &[
            utc(2026, 3, 28, 23, 30), // 00:30 CET
            utc(2026, 3, 29, 0, 30),  // 01:30 CET
            utc(2026, 3, 29, 1, 0),   // 02:30 skipped: 03:00 CEST
            utc(2026, 3, 29, 1, 30),  // 03:30 CEST
            utc(2026, 3, 29, 2, 30),  // 04:30 CEST
        ]
    );
    // 23 real hours: 23 regular fires plus the skipped hour's single fire.
    assert_eq!(fires.len(), 24);
    assert_eq!(fires.last(), Some(&utc(2026, 3, 29, 21, 30)));
}

#[test]
fn berlin_hourly_fall_back_day_fires_the_repeated_half_hour_only_once() {
    let trigger = cron("30 * * * *", "Europe/Berlin");
    // The local day 25 Oct 2026: 00:00 CEST (24 Oct 22:00 UTC) to 24:00 CET (25 Oct 23:00 UTC).
    let fires = all_between(&trigger, utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 23, 0));
    assert_strictly_increasing(&fires);
    assert_eq!(
        &fires[..4],
        &[
            utc(2026, 10, 24, 22, 30), // 00:30 CEST
            utc(2026, 10, 24, 23, 30), // 01:30 CEST
            utc(2026, 10, 25, 0, 30),  // 02:30 CEST (first pass)
            utc(2026, 10, 25, 2, 30),  // 03:30 CET: no second 02:30 at 01:30 UTC
        ]
    );
    // 25 real hours, 24 distinct wall-clock half-hours.
    assert_eq!(fires.len(), 24);
    assert!(!fires.contains(&utc(2026, 10, 25, 1, 30)));
}

#[test]
fn starting_inside_the_repeated_hour_does_not_fire_its_first_pass_again() {
    // croner alone, started at 02:10 CET (second pass), answers 02:30 CEST: before the start.
    let hourly = cron("30 * * * *", "Europe/Berlin");
    let epoch = utc(2026, 1, 1, 0, 0);
    assert_eq!(
        next_fire(&hourly, epoch, utc(2026, 10, 25, 1, 10)).unwrap(),
        Some(utc(2026, 10, 25, 2, 30))
    );
    // Exactly at the first-pass fire: the next one is the hour after the repetition.
    assert_eq!(
        next_fire(&hourly, epoch, utc(2026, 10, 25, 0, 30)).unwrap(),
        Some(utc(2026, 10, 25, 2, 30))
    );
    let daily = cron("30 2 * * *", "Europe/Berlin");
    assert_eq!(
        next_fire(&daily, epoch, utc(2026, 10, 25, 1, 0)).unwrap(),
        Some(utc(2026, 10, 26, 1, 30))
    );
}

#[test]
fn several_matches_inside_the_skipped_hour_collapse_into_one_fire() {
    let trigger = cron("*/15 * * * *", "Europe/Berlin");
    let fires = all_between(&trigger, utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 30));
    assert_eq!(
        fires,
        vec![
            utc(2026, 3, 29, 0, 45), // 01:45 CET
            utc(2026, 3, 29, 1, 0),  // 02:00-02:45 skipped, and 03:00 itself: one fire
            utc(2026, 3, 29, 1, 15), // 03:15 CEST
            utc(2026, 3, 29, 1, 30), // 03:30 CEST
        ]
    );
}

// ---------------------------------------------------------------------------------------
// DST: America/New_York (2026: spring forward 8 Mar 07:00 UTC, 02:00 EST -> 03:00 EDT;
// fall back 1 Nov 06:00 UTC, 02:00 EDT -> 01:00 EST, so 01:00-01:59 repeats)

#[test]
fn new_york_daily_0230_fires_right_after_the_gap_on_the_spring_forward_day() {
    let trigger = cron("30 2 * * *", "America/New_York");
    let fires = all_between(&trigger, utc(2026, 3, 6, 12, 0), utc(2026, 3, 9, 12, 0));
    assert_eq!(
        fires,
        vec![
            utc(2026, 3, 7, 7, 30), // 02:30 EST
            utc(2026, 3, 8, 7, 0),  // 02:30 skipped: 03:00 EDT
            utc(2026, 3, 9, 6, 30), // 02:30 EDT
        ]
    );
}

#[test]
fn new_york_daily_0230_is_untouched_by_fall_back_and_0130_fires_once() {
    let at_0230 = cron("30 2 * * *", "America/New_York");
    assert_eq!(
        all_between(&at_0230, utc(2026, 10, 30, 12, 0), utc(2026, 11, 2, 12, 0)),
        vec![
            utc(2026, 10, 31, 6, 30), // 02:30 EDT
            utc(2026, 11, 1, 7, 30),  // 02:30 EST, exists once
            utc(2026, 11, 2, 7, 30),  // 02:30 EST
        ]
    );
    let at_0130 = cron("30 1 * * *", "America/New_York");
    assert_eq!(
        all_between(&at_0130, utc(2026, 10, 30, 12, 0), utc(2026, 11, 2, 12, 0)),
        vec![
            utc(2026, 10, 31, 5, 30), // 01:30 EDT
            utc(2026, 11, 1, 5, 30),  // 01:30 EDT, the first of the two
            utc(2026, 11, 2, 6, 30),  // 01:30 EST
        ]
    );
}

#[test]
fn new_york_hourly_spring_forward_day_has_one_fire_for_the_skipped_hour() {
    let trigger = cron("30 * * * *", "America/New_York");
    // The local day 8 Mar 2026: 00:00 EST (05:00 UTC) to 24:00 EDT (9 Mar 04:00 UTC).
    let fires = all_between(&trigger, utc(2026, 3, 8, 5, 0), utc(2026, 3, 9, 4, 0));
    assert_strictly_increasing(&fires);
    assert_eq!(
        &fires[..4],
        &[
            utc(2026, 3, 8, 5, 30), // 00:30 EST
            utc(2026, 3, 8, 6, 30), // 01:30 EST
            utc(2026, 3, 8, 7, 0),  // 02:30 skipped: 03:00 EDT
            utc(2026, 3, 8, 7, 30), // 03:30 EDT
        ]
    );
    assert_eq!(fires.len(), 24);
}

#[test]
fn new_york_hourly_fall_back_day_fires_the_repeated_half_hour_only_once() {
    let trigger = cron("30 * * * *", "America/New_York");
    // The local day 1 Nov 2026: 00:00 EDT (04:00 UTC) to 24:00 EST (2 Nov 05:00 UTC).
    let fires = all_between(&trigger, utc(2026, 11, 1, 4, 0), utc(2026, 11, 2, 5, 0));
    assert_strictly_increasing(&fires);
    assert_eq!(
        &fires[..4],
        &[
            utc(2026, 11, 1, 4, 30), // 00:30 EDT
            utc(2026, 11, 1, 5, 30), // 01:30 EDT (first pass)
            utc(2026, 11, 1, 7, 30), // 02:30 EST: no second 01:30 at 06:30 UTC
            utc(2026, 11, 1, 8, 30), // 03:30 EST
        ]
    );
    assert_eq!(fires.len(), 24);
    assert_eq!(
        next_fire(&trigger, utc(2026, 1, 1, 0, 0), utc(2026, 11, 1, 6, 10)).unwrap(),
        Some(utc(2026, 11, 1, 7, 30))
    );
}

#[test]
fn a_skipped_whole_day_fires_once_when_the_clock_resumes() {
    // Samoa skipped Friday 30 Dec 2011: 29 Dec 23:59:59 -10:00 was followed by
    // 31 Dec 00:00 +14:00 (30 Dec 10:00 UTC). croner alone gives up on gaps over an hour.
    let trigger = cron("30 2 * * *", "Pacific/Apia");
    let fires = all_between(&trigger, utc(2011, 12, 29, 0, 0), utc(2012, 1, 1, 0, 0));
    assert_eq!(
        fires,
        vec![
            utc(2011, 12, 29, 12, 30), // 29 Dec 02:30 -10:00
            utc(2011, 12, 30, 10, 0),  // 30 Dec 02:30 never happened: 31 Dec 00:00 +14:00
            utc(2011, 12, 30, 12, 30), // 31 Dec 02:30 +14:00
            utc(2011, 12, 31, 12, 30), // 1 Jan 02:30 +14:00
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Intervals, one-shots, manual

#[test]
fn interval_fires_stay_on_the_anchor_grid_whatever_the_moment_asked_about() {
    let every_30 = interval_minutes(30);
    let anchor = utc(2026, 5, 4, 10, 0);
    let cases = [
        (anchor, utc(2026, 5, 4, 10, 30)),
        (
            utc(2026, 5, 4, 10, 0) + Duration::milliseconds(1),
            utc(2026, 5, 4, 10, 30),
        ),
        // A run that took 47 minutes does not shift the schedule.
        (utc(2026, 5, 4, 10, 47), utc(2026, 5, 4, 11, 0)),
        // Exactly on a fire: strictly after, so the one after that.
        (utc(2026, 5, 4, 11, 0), utc(2026, 5, 4, 11, 30)),
        (
            utc(2026, 5, 4, 11, 0) - Duration::nanoseconds(1),
            utc(2026, 5, 4, 11, 0),
        ),
        // Days later: still anchor + k * 30 min.
        (utc(2026, 5, 9, 17, 13), utc(2026, 5, 9, 17, 30)),
        // Before the anchor: the first fire is one interval after it, never the anchor.
        (utc(2026, 5, 1, 0, 0), utc(2026, 5, 4, 10, 30)),
        (anchor - Duration::milliseconds(1), utc(2026, 5, 4, 10, 30)),
    ];
    for (after, expected) in cases {
        assert_eq!(
            next_fire(&every_30, anchor, after).unwrap(),
            Some(expected),
            "after {after}"
        );
    }
    let odd = Trigger::Interval { every_ms: 45_500 };
    let fires = next_fires(
        &odd,
        &StopCondition::Never,
        anchor,
        utc(2026, 5, 4, 11, 0),
        0,
        3,
    )
    .unwrap();
    for fire in &fires {
        let offset = fire.signed_duration_since(anchor).num_milliseconds();
        assert_eq!(offset % 45_500, 0, "{fire} is off the grid");
    }
    assert_eq!(fires[0], anchor + Duration::milliseconds(45_500 * 80)); // 11:00:40
}

#[test]
fn interval_of_zero_never_fires() {
    let zero = Trigger::Interval { every_ms: 0 };
    let now = utc(2026, 5, 4, 10, 0);
    assert_eq!(next_fire(&zero, now, now).unwrap(), None);
    assert_eq!(
        fires_between(&zero, now, now, now + Duration::days(1), 10).unwrap(),
        (vec![], 0)
    );
}

#[test]
fn one_shot_fires_once_when_in_the_future_and_never_when_past() {
    let at = utc(2027, 3, 27, 2, 30);
    let once = Trigger::Once { fire_at: at };
    let created = utc(2027, 1, 1, 0, 0);
    assert_eq!(
        next_fire(&once, created, utc(2027, 3, 1, 0, 0)).unwrap(),
        Some(at)
    );
    assert_eq!(next_fire(&once, created, at).unwrap(), None);
    assert_eq!(
        next_fire(&once, created, utc(2027, 4, 1, 0, 0)).unwrap(),
        None
    );
    assert_eq!(
        next_fires(&once, &StopCondition::Never, created, created, 0, 5).unwrap(),
        vec![at]
    );
    assert_eq!(
        fires_between(&once, created, created, utc(2027, 12, 31, 0, 0), 5).unwrap(),
        (vec![at], 1)
    );
    assert_eq!(
        fires_between(&once, created, at, utc(2027, 12, 31, 0, 0), 5).unwrap(),
        (vec![], 0)
    );
}

#[test]
fn manual_never_fires() {
    let now = utc(2026, 1, 1, 0, 0);
    assert_eq!(next_fire(&Trigger::Manual, now, now).unwrap(), None);
    assert!(
        next_fires(&Trigger::Manual, &StopCondition::Never, now, now, 0, 5)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        fires_between(&Trigger::Manual, now, now, now + Duration::days(30), 5).unwrap(),
        (vec![], 0)
    );
}

#[test]
fn cron_that_can_never_match_has_no_next_fire() {
    let feb_31 = cron("0 0 31 2 *", "UTC");
    let now = utc(2026, 1, 1, 0, 0);
    assert_eq!(next_fire(&feb_31, now, now).unwrap(), None);
}

#[test]
fn cron_fires_strictly_after_sub_second_moments() {
    let daily = cron("0 10 * * *", "UTC");
    let epoch = utc(2026, 1, 1, 0, 0);
    let just_before = utc(2026, 6, 1, 9, 59) + Duration::milliseconds(59_500);
    assert_eq!(
        next_fire(&daily, epoch, just_before).unwrap(),
        Some(utc(2026, 6, 1, 10, 0))
    );
    let just_after = utc(2026, 6, 1, 10, 0) + Duration::milliseconds(1);
    assert_eq!(
        next_fire(&daily, epoch, just_after).unwrap(),
        Some(utc(2026, 6, 2, 10, 0))
    );
    assert_eq!(
        next_fire(&daily, epoch, utc(2026, 6, 1, 10, 0)).unwrap(),
        Some(utc(2026, 6, 2, 10, 0))
    );
}

#[test]
fn day_of_month_and_day_of_week_combine_with_or_as_in_standard_cron() {
    // "On the 1st, or on any Monday" (June 2026: Mon 1, 8, 15, ...; the 1st is a Monday).
    let trigger = cron("0 9 1 * 1", "UTC");
    let fires = all_between(&trigger, utc(2026, 5, 28, 0, 0), utc(2026, 6, 16, 0, 0));
    assert_eq!(
        fires,
        vec![
            utc(2026, 6, 1, 9, 0),
            utc(2026, 6, 8, 9, 0),
            utc(2026, 6, 15, 9, 0)
        ]
    );
    let trigger = cron("0 9 2 * 1", "UTC");
    let fires = all_between(&trigger, utc(2026, 5, 28, 0, 0), utc(2026, 6, 9, 0, 0));
    assert_eq!(
        fires,
        vec![
            utc(2026, 6, 1, 9, 0),
            utc(2026, 6, 2, 9, 0),
            utc(2026, 6, 8, 9, 0)
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Stop conditions

#[test]
fn next_fires_without_a_stop_returns_the_requested_count() {
    let hourly = cron("0 * * * *", "UTC");
    let from = utc(2026, 1, 1, 0, 30);
    let fires = next_fires(&hourly, &StopCondition::Never, from, from, 0, 5).unwrap();
    assert_eq!(
        fires,
        (1..=5).map(|h| utc(2026, 1, 1, h, 0)).collect::<Vec<_>>()
    );
    assert!(next_fires(&hourly, &StopCondition::Never, from, from, 0, 0)
        .unwrap()
        .is_empty());
}

#[test]
fn next_fires_after_runs_allows_only_the_runs_left() {
    let every_hour = interval_minutes(60);
    let anchor = utc(2026, 1, 1, 0, 0);
    let stop = StopCondition::AfterRuns { count: 10 };
    assert_eq!(
        next_fires(&every_hour, &stop, anchor, anchor, 0, 5)
            .unwrap()
            .len(),
        5
    );
    assert_eq!(
        next_fires(&every_hour, &stop, anchor, anchor, 7, 5).unwrap(),
        vec![
            utc(2026, 1, 1, 1, 0),
            utc(2026, 1, 1, 2, 0),
            utc(2026, 1, 1, 3, 0)
        ]
    );
    assert!(next_fires(&every_hour, &stop, anchor, anchor, 10, 5)
        .unwrap()
        .is_empty());
    assert!(next_fires(&every_hour, &stop, anchor, anchor, 12, 5)
        .unwrap()
        .is_empty());
}

#[test]
fn next_fires_until_cuts_fires_after_its_time_and_keeps_one_exactly_at_it() {
    let daily = cron("0 6 * * *", "UTC");
    let from = utc(2026, 1, 1, 0, 0);
    let until = StopCondition::Until {
        at: utc(2026, 1, 3, 6, 0),
    };
    assert_eq!(
        next_fires(&daily, &until, from, from, 0, 5).unwrap(),
        vec![
            utc(2026, 1, 1, 6, 0),
            utc(2026, 1, 2, 6, 0),
            utc(2026, 1, 3, 6, 0)
        ]
    );
    let until = StopCondition::Until {
        at: utc(2026, 1, 3, 5, 59),
    };
    assert_eq!(
        next_fires(&daily, &until, from, from, 0, 5).unwrap().len(),
        2
    );
    let past = StopCondition::Until {
        at: utc(2025, 12, 31, 0, 0),
    };
    assert!(next_fires(&daily, &past, from, from, 0, 5)
        .unwrap()
        .is_empty());
}

// ---------------------------------------------------------------------------------------
// Missed fires

#[test]
fn fires_due_is_fires_between_and_the_next_fire_after_them_from_one_parse() {
    let anchor = utc(2026, 6, 1, 8, 30);
    let triggers = [
        cron("0 * * * *", "Europe/Berlin"),
        cron("0 9 * * 1-5", "America/New_York"),
        interval_minutes(45),
        Trigger::Once {
            fire_at: utc(2026, 6, 2, 0, 0),
        },
        Trigger::Manual,
    ];
    let ends = [
        utc(2026, 5, 30, 0, 0), // before the anchor
        anchor,
        utc(2026, 6, 1, 9, 0), // on a fire
        utc(2026, 6, 4, 7, 59),
    ];
    for trigger in &triggers {
        for up_to in ends {
            let (fires, total) = fires_between(trigger, anchor, anchor, up_to, 3).unwrap();
            let next = next_fire(trigger, anchor, up_to.max(anchor)).unwrap();
            assert_eq!(
                fires_due(trigger, anchor, up_to, 3).unwrap(),
                DueFires { fires, total, next },
                "{trigger:?} up to {up_to}"
            );
        }
    }
}

#[test]
fn fires_between_counts_a_three_day_gap_of_an_hourly_cron_and_keeps_the_last_ones() {
    let hourly = cron("0 * * * *", "Europe/Berlin");
    let closed = utc(2026, 6, 1, 8, 0);
    let reopened = utc(2026, 6, 4, 8, 0);
    let epoch = utc(2026, 1, 1, 0, 0);

    let (fires, total) = fires_between(&hourly, epoch, closed, reopened, 3).unwrap();
    assert_eq!(total, 72);
    assert_eq!(
        fires,
        vec![
            utc(2026, 6, 4, 6, 0),
            utc(2026, 6, 4, 7, 0),
            utc(2026, 6, 4, 8, 0)
        ]
    );

    let (fires, total) = fires_between(&hourly, epoch, closed, reopened, 1000).unwrap();
    assert_eq!((fires.len(), total), (72, 72));
    assert_eq!(fires.first(), Some(&utc(2026, 6, 1, 9, 0))); // `after` itself is excluded
    assert_eq!(fires.last(), Some(&reopened)); // `up_to` is included
    assert_strictly_increasing(&fires);

    assert_eq!(
        fires_between(&hourly, epoch, closed, reopened, 0).unwrap(),
        (vec![], 72)
    );
    assert_eq!(
        fires_between(&hourly, epoch, reopened, reopened, 5).unwrap(),
        (vec![], 0)
    );
    assert_eq!(
        fires_between(&hourly, epoch, reopened, closed, 5).unwrap(),
        (vec![], 0)
    );
}

#[test]
fn fires_between_for_intervals_counts_without_walking_and_keeps_the_last_ones() {
    let every_hour = interval_minutes(60);
    let anchor = utc(2026, 6, 1, 7, 30);
    let (fires, total) = fires_between(
        &every_hour,
        anchor,
        utc(2026, 6, 1, 8, 0),
        utc(2026, 6, 4, 8, 0),
        2,
    )
    .unwrap();
    assert_eq!(total, 72); // 08:30 on the 1st .. 07:30 on the 4th
    assert_eq!(fires, vec![utc(2026, 6, 4, 6, 30), utc(2026, 6, 4, 7, 30)]);

    // Matches walking next_fire one by one.
    let (all, total) = fires_between(
        &every_hour,
        anchor,
        utc(2026, 6, 1, 8, 0),
        utc(2026, 6, 4, 7, 30),
        1000,
    )
    .unwrap();
    let walked = next_fires(
        &every_hour,
        &StopCondition::Never,
        anchor,
        utc(2026, 6, 1, 8, 0),
        0,
        1000,
    )
    .unwrap()
    .into_iter()
    .take_while(|f| *f <= utc(2026, 6, 4, 7, 30))
    .collect::<Vec<_>>();
    assert_eq!((all.clone(), total), (walked.clone(), walked.len()));

    // A year of 30-second fires is counted at once.
    let fast = Trigger::Interval { every_ms: 30_000 };
    let (fires, total) =
        fires_between(&fast, anchor, anchor, anchor + Duration::days(365), 2).unwrap();
    assert_eq!(total, 365 * 24 * 120);
    assert_eq!(
        fires,
        vec![
            anchor + Duration::days(365) - Duration::seconds(30),
            anchor + Duration::days(365)
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Descriptions

#[test]
fn describe_says_each_common_schedule_in_words() {
    let never = StopCondition::Never;
    let cases = [
        (Trigger::Manual, "Manual only"),
        (
            Trigger::Once {
                fire_at: utc(2027, 3, 27, 2, 30),
            },
            "Once on Sat 27 Mar 2027 at 02:30 UTC",
        ),
        (
            Trigger::Once {
                fire_at: utc(2027, 3, 26, 2, 30),
            },
            "Once on Fri 26 Mar 2027 at 02:30 UTC",
        ),
        (
            Trigger::Once {
                fire_at: utc(2027, 3, 5, 14, 5),
            },
            "Once on Fri 5 Mar 2027 at 14:05 UTC",
        ),
        (interval_minutes(30), "Every 30 minutes"),
        (interval_minutes(120), "Every 2 hours"),
        (interval_minutes(60), "Every hour"),
        (interval_minutes(90), "Every 90 minutes"),
        (interval_minutes(24 * 60), "Every day"),
        (interval_minutes(14 * 24 * 60), "Every 2 weeks"),
        (Trigger::Interval { every_ms: 45_000 }, "Every 45 seconds"),
        (
            Trigger::Interval { every_ms: 45_500 },
            "Every 45500 milliseconds",
        ),
        (
            cron("0 9 * * 1-5", "Europe/Berlin"),
            "Every weekday at 09:00 (Europe/Berlin)",
        ),
        (
            cron("0 9 * * MON-FRI", "Europe/Berlin"),
            "Every weekday at 09:00 (Europe/Berlin)",
        ),
        (cron("0 2 * * *", "UTC"), "Every day at 02:00 (UTC)"),
        (
            cron("0 9 * * 1", "Europe/Berlin"),
            "Every Monday at 09:00 (Europe/Berlin)",
        ),
        (
            cron("0 9 * * mon", "Europe/Berlin"),
            "Every Monday at 09:00 (Europe/Berlin)",
        ),
        (cron("30 18 * * 7", "UTC"), "Every Sunday at 18:30 (UTC)"),
        (
            cron("0 9 * * 1,3,5", "UTC"),
            "Every Monday, Wednesday and Friday at 09:00 (UTC)",
        ),
        (
            cron("0 10 * * 0,6", "UTC"),
            "Every Saturday and Sunday at 10:00 (UTC)",
        ),
        (
            cron("15 * * * *", "Europe/Berlin"),
            "At minute 15 of every hour",
        ),
        (cron("*/15 * * * *", "UTC"), "Every 15 minutes"),
        (cron("* * * * *", "UTC"), "Every minute"),
        (
            cron("0 6 1 * *", "America/New_York"),
            "On day 1 of every month at 06:00 (America/New_York)",
        ),
        // Anything else is shown as it is.
        (cron("*/7 * * * *", "UTC"), "Cron `*/7 * * * *` (UTC)"),
        (
            cron("0 9 1-7 * 1", "Europe/Berlin"),
            "Cron `0 9 1-7 * 1` (Europe/Berlin)",
        ),
        (cron("0 9 * 1 *", "UTC"), "Cron `0 9 * 1 *` (UTC)"),
        (cron("0 */2 * * *", "UTC"), "Cron `0 */2 * * *` (UTC)"),
        (cron("0 9 * * 5L", "UTC"), "Cron `0 9 * * 5L` (UTC)"),
        (cron("not a cron", "UTC"), "Cron `not a cron` (UTC)"),
    ];
    for (trigger, expected) in cases {
        assert_eq!(describe(&trigger, &never), expected, "{trigger:?}");
    }
}

#[test]
fn describe_appends_the_stop_condition_to_recurring_schedules() {
    let every_30 = interval_minutes(30);
    assert_eq!(
        describe(&every_30, &StopCondition::AfterRuns { count: 10 }),
        "Every 30 minutes, 10 runs in all"
    );
    assert_eq!(
        describe(&every_30, &StopCondition::AfterRuns { count: 1 }),
        "Every 30 minutes, 1 run in all"
    );
    assert_eq!(
        describe(
            &cron("0 9 * * 1-5", "Europe/Berlin"),
            &StopCondition::Until {
                at: utc(2027, 1, 1, 0, 0)
            }
        ),
        "Every weekday at 09:00 (Europe/Berlin), until 2027-01-01 00:00 UTC"
    );
    // Only recurring triggers carry a stop.
    assert_eq!(
        describe(&Trigger::Manual, &StopCondition::AfterRuns { count: 3 }),
        "Manual only"
    );
}

#[test]
fn preview_is_next_fires_from_now_plus_the_description() {
    let from = utc(2026, 6, 1, 12, 0);
    let trigger = cron("0 9 * * 1-5", "Europe/Berlin");
    let stop = StopCondition::AfterRuns { count: 3 };
    let shown = preview(&trigger, &stop, from, 5).unwrap();
    assert_eq!(
        shown,
        SchedulePreview {
            fires: vec![
                utc(2026, 6, 2, 7, 0),
                utc(2026, 6, 3, 7, 0),
                utc(2026, 6, 4, 7, 0)
            ],
            description: "Every weekday at 09:00 (Europe/Berlin), 3 runs in all".to_string(),
        }
    );
    let json = serde_json::to_value(&shown).unwrap();
    assert_eq!(json["fires"][0], "2026-06-02T07:00:00Z");
    let back: SchedulePreview = serde_json::from_value(json).unwrap();
    assert_eq!(back, shown);

    // An interval preview anchors at `from`.
    let shown = preview(&interval_minutes(45), &StopCondition::Never, from, 2).unwrap();
    assert_eq!(
        shown.fires,
        vec![utc(2026, 6, 1, 12, 45), utc(2026, 6, 1, 13, 30)]
    );
}

// ---------------------------------------------------------------------------------------
// Errors

#[test]
fn invalid_cron_expressions_are_errors_naming_the_expression() {
    let now = utc(2026, 1, 1, 0, 0);
    for expression in [
        "not a cron",
        "61 * * * *",
        "0 25 * * *",
        "* * * *",
        "0 0 * * * *",
        "",
        "@daily",
    ] {
        let trigger = cron(expression, "UTC");
        match next_fire(&trigger, now, now) {
            Err(ScheduleError::InvalidCron {
                expression: shown,
                message,
            }) => {
                assert_eq!(shown, expression);
                assert!(!message.is_empty());
            }
            other => panic!("{expression:?}: expected InvalidCron, got {other:?}"),
        }
        assert!(matches!(
            next_fires(&trigger, &StopCondition::Never, now, now, 0, 5),
            Err(ScheduleError::InvalidCron { .. })
        ));
        assert!(matches!(
            fires_between(&trigger, now, now, now + Duration::days(1), 5),
            Err(ScheduleError::InvalidCron { .. })
        ));
        assert!(matches!(
            preview(&trigger, &StopCondition::Never, now, 5),
            Err(ScheduleError::InvalidCron { .. })
        ));
    }
}

#[test]
fn invalid_timezones_are_errors_naming_the_zone() {
    let now = utc(2026, 1, 1, 0, 0);
    for timezone in ["Mars/Olympus_Mons", "", "Europe/Berlin "] {
        let trigger = cron("0 9 * * *", timezone);
        assert_eq!(
            next_fire(&trigger, now, now).unwrap_err(),
            ScheduleError::InvalidTimezone(timezone.to_string())
        );
        assert!(matches!(
            preview(&trigger, &StopCondition::Never, now, 5),
            Err(ScheduleError::InvalidTimezone(_))
        ));
    }
    let message = next_fire(&cron("0 9 * * *", "Nowhere"), now, now)
        .unwrap_err()
        .to_string();
    assert!(message.contains("Nowhere"), "{message}");
}

// ---------------------------------------------------------------------------------------
// Many computations against an independent wall-clock oracle

/// The instant a wall-clock time stands for, worked out directly from chrono-tz: itself,
/// its first occurrence if repeated, or the first existing minute after a gap.
fn oracle_resolve(tz: Tz, wall: NaiveDateTime) -> DateTime<Utc> {
    let mut wall = wall;
    loop {
        match tz.from_local_datetime(&wall) {
            LocalResult::Single(t) => return t.with_timezone(&Utc),
            LocalResult::Ambiguous(first, _) => return first.with_timezone(&Utc),
            LocalResult::None => wall += Duration::minutes(1),
        }
    }
}

/// The first fire strictly after `after` of "minutes hours * * *", by brute force over the
/// matching wall times from three hours before `after`'s wall time to 26 hours after it.
fn oracle_next(tz: Tz, minutes: &[u32], hours: &[u32], after: DateTime<Utc>) -> DateTime<Utc> {
    let local = after.with_timezone(&tz).naive_local();
    let (from, to) = (local - Duration::hours(3), local + Duration::hours(26));
    let mut best: Option<DateTime<Utc>> = None;
    let mut day: NaiveDate = from.date();
    while day <= to.date() {
        for &h in hours {
            for &m in minutes {
                let wall = day.and_hms_opt(h, m, 0).unwrap();
                if wall < from || wall > to {
                    continue;
                }
                let fire = oracle_resolve(tz, wall);
                if fire > after && best.is_none_or(|b| fire < b) {
                    best = Some(fire);
                }
            }
        }
        day = day.succ_opt().unwrap();
    }
    best.unwrap()
}

#[test]
fn ten_thousand_cron_computations_agree_with_a_wall_clock_oracle() {
    let zones = [
        "UTC",
        "Europe/Berlin",
        "America/New_York",
        "Australia/Lord_Howe", // 30-minute DST shift
        "America/Santiago",    // transitions at midnight
        "Asia/Kathmandu",      // +05:45
        "Pacific/Chatham",     // +12:45 / +13:45
        "America/St_Johns",    // -03:30 with DST
    ];
    let all_hours: Vec<u32> = (0..24).collect();
    let expressions: [(&str, Vec<u32>, Vec<u32>); 6] = [
        ("30 2 * * *", vec![30], vec![2]),
        ("0 0 * * *", vec![0], vec![0]),
        ("45 23 * * *", vec![45], vec![23]),
        ("15 * * * *", vec![15], all_hours.clone()),
        ("*/20 * * * *", vec![0, 20, 40], all_hours.clone()),
        ("5,50 1,2,3 * * *", vec![5, 50], vec![1, 2, 3]),
    ];
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 7).unwrap();
    let step = Duration::minutes(39 * 60 + 47) + Duration::seconds(13);
    let epoch = utc(2026, 1, 1, 0, 0);
    let mut computations = 0usize;
    for zone in zones {
        let tz: Tz = zone.parse().unwrap();
        for (expression, minutes, hours) in &expressions {
            let trigger = cron(expression, zone);
            // Samples spread over the year, at odd minutes and seconds.
            for i in 0..220 {
                let after = start + step * i;
                let got = next_fire(&trigger, epoch, after).unwrap().unwrap();
                let expected = oracle_next(tz, minutes, hours, after);
                assert_eq!(got, expected, "{expression} in {zone} after {after}");
                computations += 1;
            }
        }
        // A year of a daily chain crosses both transitions: one fire per local day.
        let daily = cron("30 2 * * *", zone);
        let fires = all_between(&daily, epoch, utc(2027, 1, 1, 0, 0));
        assert_strictly_increasing(&fires);
        computations += fires.len();
        let mut days: Vec<NaiveDate> = fires
            .iter()
            .map(|f| f.with_timezone(&tz).date_naive())
            .collect();
        days.dedup();
        assert_eq!(
            days.len(),
            fires.len(),
            "{zone}: two fires on one local day"
        );
    }
    assert!(computations >= 10_000, "{computations}");
}
