//! Automations and their permission rules.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::backend::on_both_backends;

use super::{parse_column, to_i64, to_u64};
use crate::error::{Error, Result};
use crate::ids::{AutomationId, SessionId};
use crate::model::definition::*;
use crate::model::permission::command_from_glob;
use crate::model::time::{from_millis, to_millis};

#[derive(FromRow)]
struct AutomationRow {
    id: String,
    title: String,
    prompt: String,
    workspace: String,
    provider_id: String,
    model_id: String,
    variant: Option<String>,
    #[sqlx(flatten)]
    schedule: ScheduleColumns,
    context: String,
    placement_kind: String,
    worktree_name: Option<String>,
    step_cap: i64,
    timeout_minutes: Option<i64>,
    budget_usd: Option<f64>,
    daily_budget_usd: Option<f64>,
    wait_for_input_when_unattended: bool,
    revision: i64,
    session_id: Option<String>,
    created_at: i64,
    updated_at: i64,
    failure_streak_limit: i64,
    paused_reason: Option<String>,
    paused_by_all: bool,
    catch_up: String,
    catch_up_max_age_hours: i64,
    overlap: String,
    sandbox_mode: String,
    sandbox_network: bool,
    sandbox_writable: String,
    sandbox_env: String,
}

/// The columns that say when an automation fires (read with the rest of the row).
#[derive(FromRow)]
struct ScheduleColumns {
    id: String,
    trigger_kind: String,
    trigger_fire_at: Option<i64>,
    trigger_every_ms: Option<i64>,
    trigger_cron: Option<String>,
    trigger_timezone: Option<String>,
    stop_kind: String,
    stop_count: Option<i64>,
    stop_at: Option<i64>,
    paused: bool,
    schedule_anchor: Option<i64>,
}

/// When an automation fires: what the scheduler plans with, without the rest of it.
#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    pub trigger: Trigger,
    pub stop: StopCondition,
    pub paused: bool,
    /// The last planned fire, else the creation time.
    pub anchor: DateTime<Utc>,
}

impl ScheduleColumns {
    fn trigger(&self) -> Result<Trigger> {
        let id = self.id.as_str();
        Ok(match self.trigger_kind.as_str() {
            "manual" => Trigger::Manual,
            "once" => Trigger::Once {
                fire_at: from_millis(self.trigger_fire_at.ok_or_else(|| missing("fire_at", id))?),
            },
            "interval" => Trigger::Interval {
                every_ms: to_u64(
                    "every_ms",
                    self.trigger_every_ms
                        .ok_or_else(|| missing("every_ms", id))?,
                )?,
            },
            "cron" => Trigger::Cron {
                expression: self
                    .trigger_cron
                    .clone()
                    .ok_or_else(|| missing("cron", id))?,
                timezone: self
                    .trigger_timezone
                    .clone()
                    .ok_or_else(|| missing("timezone", id))?,
            },
            other => return Err(Error::Corrupt(format!("unknown trigger kind `{other}`"))),
        })
    }

    fn stop(&self) -> Result<StopCondition> {
        let id = self.id.as_str();
        Ok(match self.stop_kind.as_str() {
            "never" => StopCondition::Never,
            "after_runs" => StopCondition::AfterRuns {
                count: small(
                    "stop_count",
                    self.stop_count.ok_or_else(|| missing("stop_count", id))?,
                )?,
            },
            "until" => StopCondition::Until {
                at: from_millis(self.stop_at.ok_or_else(|| missing("stop_at", id))?),
            },
            other => return Err(Error::Corrupt(format!("unknown stop kind `{other}`"))),
        })
    }
}

#[derive(FromRow)]
struct RuleRow {
    automation_id: String,
    tool: String,
    pattern: Option<String>,
    command: Option<String>,
    exact: bool,
    action: String,
    reason: Option<String>,
    examples: Option<String>,
}

const RULE_COLUMNS: &str = "automation_id, tool, pattern, command, exact, action, reason, examples";

const COLUMNS: &str = "id, title, prompt, workspace, provider_id, model_id, variant, trigger_kind,
    trigger_fire_at, trigger_every_ms, trigger_cron, trigger_timezone, stop_kind, stop_count,
    stop_at, context, placement_kind, worktree_name, step_cap, timeout_minutes, budget_usd,
    daily_budget_usd, wait_for_input_when_unattended, paused, revision, session_id, created_at,
    updated_at, failure_streak_limit, paused_reason, paused_by_all, schedule_anchor, catch_up,
    catch_up_max_age_hours, overlap, sandbox_mode, sandbox_network, sandbox_writable,
    sandbox_env";

/// `paused_reason` as its column holds it; "pause all" lives in `paused_by_all`.
fn stored_reason(reason: Option<PausedReason>) -> Option<&'static str> {
    reason
        .filter(|r| *r != PausedReason::AllPaused)
        .map(PausedReason::as_str)
}

fn missing(column: &str, id: &str) -> Error {
    Error::Corrupt(format!("automation {id} has no {column}"))
}

fn small(column: &str, value: i64) -> Result<u32> {
    u32::try_from(value).map_err(|_| Error::Corrupt(format!("{column} {value} is out of range")))
}

impl AutomationRow {
    fn into_automation(self, rules: Vec<PermissionRule>) -> Result<Automation> {
        let trigger = self.schedule.trigger()?;
        let stop = self.schedule.stop()?;
        let id = self.schedule.id.as_str();
        let placement = match self.placement_kind.as_str() {
            "in_place" => Placement::InPlace,
            "worktree" => Placement::Worktree {
                name: self
                    .worktree_name
                    .clone()
                    .ok_or_else(|| missing("worktree_name", id))?,
            },
            other => return Err(Error::Corrupt(format!("unknown placement `{other}`"))),
        };
        let variant = match self.variant.as_deref() {
            None => None,
            Some("low") => Some(Variant::Low),
            Some("medium") => Some(Variant::Medium),
            Some("high") => Some(Variant::High),
            Some(other) => return Err(Error::Corrupt(format!("unknown variant `{other}`"))),
        };
        let catch_up = match self.catch_up.as_str() {
            "once" => CatchUp::Once,
            "skip" => CatchUp::Skip,
            other => return Err(Error::Corrupt(format!("unknown catch-up policy `{other}`"))),
        };
        let overlap = match self.overlap.as_str() {
            "skip" => Overlap::Skip,
            "queue" => Overlap::Queue,
            other => return Err(Error::Corrupt(format!("unknown overlap policy `{other}`"))),
        };
        let sandbox = SandboxSettings {
            mode: match self.sandbox_mode.as_str() {
                "enforce" => SandboxMode::Enforce,
                "off" => SandboxMode::Off,
                other => return Err(Error::Corrupt(format!("unknown sandbox mode `{other}`"))),
            },
            network: self.sandbox_network,
            writable: serde_json::from_str(&self.sandbox_writable).map_err(|e| {
                Error::Corrupt(format!("sandbox_writable `{}`: {e}", self.sandbox_writable))
            })?,
            env: serde_json::from_str(&self.sandbox_env)
                .map_err(|e| Error::Corrupt(format!("sandbox_env `{}`: {e}", self.sandbox_env)))?,
        };
        let context = match self.context.as_str() {
            "fresh" => ContextMode::Fresh,
            "continue" => ContextMode::Continue,
            other => return Err(Error::Corrupt(format!("unknown context `{other}`"))),
        };
        Ok(Automation {
            id: AutomationId::from_string(self.id),
            spec: AutomationSpec {
                title: self.title,
                prompt: self.prompt,
                workspace: self.workspace,
                model: ModelRef {
                    provider_id: self.provider_id,
                    model_id: self.model_id,
                },
                variant,
                trigger,
                stop,
                context,
                placement,
                permissions: rules,
                step_cap: small("step_cap", self.step_cap)?,
                timeout_minutes: self
                    .timeout_minutes
                    .map(|m| small("timeout_minutes", m))
                    .transpose()?,
                budget_usd: self.budget_usd,
                daily_budget_usd: self.daily_budget_usd,
                wait_for_input_when_unattended: self.wait_for_input_when_unattended,
                paused: self.schedule.paused,
                failure_streak_limit: small("failure_streak_limit", self.failure_streak_limit)?,
                catch_up,
                catch_up_max_age_hours: small(
                    "catch_up_max_age_hours",
                    self.catch_up_max_age_hours,
                )?,
                overlap,
                sandbox,
            },
            revision: to_u64("revision", self.revision)?,
            session_id: self.session_id.map(SessionId::from_string),
            created_at: from_millis(self.created_at),
            updated_at: from_millis(self.updated_at),
            status: AutomationStatus {
                paused_reason: match self.paused_reason.as_deref() {
                    None if self.paused_by_all => Some(PausedReason::AllPaused),
                    None => None,
                    Some("failure_streak") => Some(PausedReason::FailureStreak),
                    Some(other) => {
                        return Err(Error::Corrupt(format!("unknown paused reason `{other}`")))
                    }
                },
                ..AutomationStatus::default()
            },
            schedule_anchor: self.schedule.schedule_anchor.map(from_millis),
        })
    }
}

fn rule_from_row(row: RuleRow) -> Result<PermissionRule> {
    let action = parse_column("permission action", &row.action, |a| match a {
        "allow" => Some(PermissionAction::Allow),
        "ask" => Some(PermissionAction::Ask),
        "deny" => Some(PermissionAction::Deny),
        _ => None,
    })?;
    fn json<T: serde::de::DeserializeOwned>(
        column: &str,
        text: Option<String>,
    ) -> Result<Option<T>> {
        text.map(|text| {
            serde_json::from_str(&text)
                .map_err(|e| Error::Corrupt(format!("permission rule {column} `{text}`: {e}")))
        })
        .transpose()
    }
    let mut rule = PermissionRule {
        tool: row.tool,
        pattern: row.pattern,
        command: json("command", row.command)?,
        exact: row.exact,
        action,
        reason: row.reason,
        examples: json("examples", row.examples)?.unwrap_or_default(),
    };
    // A bash glob from before command rules: converted when it says exactly "these words
    // (then anything)", else kept as a rule that needs an edit.
    if rule.needs_edit() {
        if let Some((words, exact)) = rule.pattern.as_deref().and_then(command_from_glob) {
            rule.command = Some(words);
            rule.exact = exact;
            rule.pattern = None;
        }
    }
    Ok(rule)
}

/// The columns of a spec, flattened, in the order of the `set_spec` statements below.
struct Flat<'a> {
    trigger_fire_at: Option<i64>,
    trigger_every_ms: Option<i64>,
    trigger_cron: Option<&'a str>,
    trigger_timezone: Option<&'a str>,
    stop_count: Option<i64>,
    stop_at: Option<i64>,
    worktree_name: Option<&'a str>,
}

fn flatten(spec: &AutomationSpec) -> Flat<'_> {
    let (mut fire_at, mut every_ms, mut cron, mut timezone) = (None, None, None, None);
    match &spec.trigger {
        Trigger::Manual => {}
        Trigger::Once { fire_at: at } => fire_at = Some(to_millis(*at)),
        Trigger::Interval { every_ms: ms } => every_ms = Some(to_i64(*ms)),
        Trigger::Cron {
            expression,
            timezone: tz,
        } => {
            cron = Some(expression.as_str());
            timezone = Some(tz.as_str());
        }
    }
    let (stop_count, stop_at) = match &spec.stop {
        StopCondition::Never => (None, None),
        StopCondition::AfterRuns { count } => (Some(i64::from(*count)), None),
        StopCondition::Until { at } => (None, Some(to_millis(*at))),
    };
    let worktree_name = match &spec.placement {
        Placement::InPlace => None,
        Placement::Worktree { name } => Some(name.as_str()),
    };
    Flat {
        trigger_fire_at: fire_at,
        trigger_every_ms: every_ms,
        trigger_cron: cron,
        trigger_timezone: timezone,
        stop_count,
        stop_at,
        worktree_name,
    }
}

/// The columns a definition change writes, in the order [`bind_written`] binds them.
const WRITTEN: &str = "title, prompt, workspace, provider_id, model_id, variant, trigger_kind,
    trigger_fire_at, trigger_every_ms, trigger_cron, trigger_timezone, stop_kind, stop_count,
    stop_at, context, placement_kind, worktree_name, step_cap, timeout_minutes, budget_usd,
    daily_budget_usd, wait_for_input_when_unattended, paused, revision, session_id, updated_at,
    failure_streak_limit, paused_reason, paused_by_all, schedule_anchor, catch_up,
    catch_up_max_age_hours, overlap, sandbox_mode, sandbox_network, sandbox_writable,
    sandbox_env, next_fire_at";
/// How many columns [`WRITTEN`] names.
const WRITTEN_COUNT: usize = 38;

/// Placeholders `$first, ..., $(first + count - 1)`.
fn numbered(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The fire the scheduler plans for: the next after the schedule's anchor (due when in the
/// past), kept in the indexed `next_fire_at` column by every write. An `after_runs` stop is
/// checked when it falls due (the count needs the ledger).
fn planned_fire(automation: &Automation) -> Option<i64> {
    Schedule::of(automation).next_fire(0).map(to_millis)
}

/// An automation whose engine-owned columns are to be written, if still at
/// `expected_revision`, with its planned fire ([`Schedule::next_fire`] of no runs done).
pub(crate) struct Moved<'a> {
    pub automation: &'a Automation,
    pub expected_revision: u64,
    pub planned: Option<DateTime<Utc>>,
}

impl Schedule {
    /// Its next fire after its anchor (due when in the past), if any: none when paused,
    /// manual, past its `until`, or done after `runs_done` finished runs.
    pub fn next_fire(&self, runs_done: u32) -> Option<DateTime<Utc>> {
        if self.paused || self.trigger == Trigger::Manual {
            return None;
        }
        if let StopCondition::AfterRuns { count } = self.stop {
            if runs_done >= count {
                return None;
            }
        }
        let anchor = self.anchor;
        let next = crate::model::schedule::next_fire(&self.trigger, anchor, anchor)
            .ok()
            .flatten()?;
        match self.stop {
            StopCondition::Until { at } if next > at => None,
            _ => Some(next),
        }
    }

    pub fn of(automation: &Automation) -> Self {
        Self {
            trigger: automation.spec.trigger.clone(),
            stop: automation.spec.stop.clone(),
            paused: automation.spec.paused,
            anchor: automation.schedule_anchor.unwrap_or(automation.created_at),
        }
    }
}

/// Rules grouped by automation id, each group in its stored order.
fn rules_by_automation(
    rows: Vec<RuleRow>,
) -> Result<std::collections::HashMap<String, Vec<PermissionRule>>> {
    let mut grouped: std::collections::HashMap<String, Vec<PermissionRule>> =
        std::collections::HashMap::new();
    for row in rows {
        let key = row.automation_id.clone();
        grouped.entry(key).or_default().push(rule_from_row(row)?);
    }
    Ok(grouped)
}

on_both_backends! {
    shared {
        /// The ids in the JSON array bound as `$n`, as a subquery.
        fn ids_in(n: usize) -> String {
            if POSTGRES {
                format!("SELECT json_array_elements_text(${n}::json)")
            } else {
                format!("SELECT value FROM json_each(${n})")
            }
        }

        type Query<'q> = sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>>;

        fn bind_written<'q>(query: Query<'q>, automation: &'q Automation, flat: Flat<'q>) -> Query<'q> {
            let spec = &automation.spec;
            query
                .bind(&spec.title)
                .bind(&spec.prompt)
                .bind(&spec.workspace)
                .bind(&spec.model.provider_id)
                .bind(&spec.model.model_id)
                .bind(spec.variant.map(Variant::as_str))
                .bind(spec.trigger.kind())
                .bind(flat.trigger_fire_at)
                .bind(flat.trigger_every_ms)
                .bind(flat.trigger_cron)
                .bind(flat.trigger_timezone)
                .bind(spec.stop.kind())
                .bind(flat.stop_count)
                .bind(flat.stop_at)
                .bind(spec.context.as_str())
                .bind(spec.placement.kind())
                .bind(flat.worktree_name)
                .bind(i64::from(spec.step_cap))
                .bind(spec.timeout_minutes.map(i64::from))
                .bind(spec.budget_usd)
                .bind(spec.daily_budget_usd)
                .bind(spec.wait_for_input_when_unattended)
                .bind(spec.paused)
                .bind(to_i64(automation.revision))
                .bind(automation.session_id.as_ref().map(SessionId::as_str))
                .bind(to_millis(automation.updated_at))
                .bind(i64::from(spec.failure_streak_limit))
                .bind(stored_reason(automation.status.paused_reason))
                .bind(automation.status.paused_reason == Some(PausedReason::AllPaused))
                .bind(automation.schedule_anchor.map(to_millis))
                .bind(spec.catch_up.as_str())
                .bind(i64::from(spec.catch_up_max_age_hours))
                .bind(spec.overlap.as_str())
                .bind(spec.sandbox.mode.as_str())
                .bind(spec.sandbox.network)
                .bind(serde_json::json!(spec.sandbox.writable).to_string())
                .bind(serde_json::json!(spec.sandbox.env).to_string())
                .bind(planned_fire(automation))
        }

        async fn insert_rules(conn: &mut Conn, automation: &Automation) -> Result<()> {
            for (position, rule) in automation.spec.permissions.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO permission_rules
                       (automation_id, position, tool, pattern, command, exact, action, reason, examples)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(automation.id.as_str())
                .bind(position as i64)
                .bind(&rule.tool)
                .bind(&rule.pattern)
                .bind(
                    rule.command
                        .as_ref()
                        .map(|words| serde_json::json!(words).to_string()),
                )
                .bind(rule.exact)
                .bind(rule.action.as_str())
                .bind(&rule.reason)
                .bind(
                    (rule.examples != RuleExamples::default())
                        .then(|| serde_json::json!(rule.examples).to_string()),
                )
                .execute(&mut *conn)
                .await?;
            }
            Ok(())
        }

        async fn fetch(
            conn: &mut Conn,
            id: &AutomationId,
            with_deleted: bool,
        ) -> Result<Option<Automation>> {
            let row: Option<AutomationRow> = sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM automations WHERE id = $1 AND ($2 OR deleted_at IS NULL)"
            ))
            .bind(id.as_str())
            .bind(with_deleted)
            .fetch_optional(&mut *conn)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let rules: Vec<RuleRow> = sqlx::query_as(&format!(
                "SELECT {RULE_COLUMNS} FROM permission_rules WHERE automation_id = $1 ORDER BY position"
            ))
            .bind(id.as_str())
            .fetch_all(&mut *conn)
            .await?;
            let rules = rules
                .into_iter()
                .map(rule_from_row)
                .collect::<Result<_>>()?;
            row.into_automation(rules).map(Some)
        }
    }

    /// Automations due at `now` (their next fire at or before it), earliest first, ties by id
    /// (the order of creation); at most `limit`. Through the `next_fire_at` index: a planning pass
    /// costs what is due, not what exists.
    pub(crate) async fn due(
        conn: &mut Conn,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<AutomationId>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM automations
             WHERE next_fire_at <= $1 AND deleted_at IS NULL
             ORDER BY next_fire_at, id LIMIT $2",
        )
        .bind(to_millis(now))
        .bind(i64::from(limit))
        .fetch_all(conn)
        .await?;
        Ok(ids.into_iter().map(AutomationId::from_string).collect())
    }

    /// The earliest fire after `now` of any live automation.
    pub(crate) async fn earliest_after(
        conn: &mut Conn,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        let at: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(next_fire_at) FROM automations WHERE next_fire_at > $1 AND deleted_at IS NULL",
        )
        .bind(to_millis(now))
        .fetch_one(conn)
        .await?;
        Ok(at.map(from_millis))
    }

    /// Corrects an automation's planned fire (the scheduler found it not due, or done).
    pub(crate) async fn set_next_fire(
        conn: &mut Conn,
        id: &AutomationId,
        at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        sqlx::query("UPDATE automations SET next_fire_at = $1 WHERE id = $2")
            .bind(at.map(to_millis))
            .bind(id.as_str())
            .execute(conn)
            .await?;
        Ok(())
    }

    pub(crate) async fn insert(conn: &mut Conn, automation: &Automation) -> Result<()> {
        let sql = format!(
            "INSERT INTO automations (id, created_at, {WRITTEN}) VALUES ($1, $2, {})",
            numbered(3, WRITTEN_COUNT)
        );
        let query = sqlx::query(&sql)
            .bind(automation.id.as_str())
            .bind(to_millis(automation.created_at));
        bind_written(query, automation, flatten(&automation.spec))
            .execute(&mut *conn)
            .await?;
        insert_rules(conn, automation).await
    }

    /// Replaces the stored definition with `automation` (already at its new revision) when the
    /// stored revision is still `expected_revision`. Returns false when it is not.
    pub(crate) async fn update(
        conn: &mut Conn,
        automation: &Automation,
        expected_revision: u64,
    ) -> Result<bool> {
        // A row-value assignment, so the columns bind in the same order as an insert.
        let sql = format!(
            "UPDATE automations SET ({WRITTEN}) = ({})
             WHERE id = ${} AND revision = ${} AND deleted_at IS NULL",
            numbered(1, WRITTEN_COUNT),
            WRITTEN_COUNT + 1,
            WRITTEN_COUNT + 2
        );
        let done = bind_written(sqlx::query(&sql), automation, flatten(&automation.spec))
            .bind(automation.id.as_str())
            .bind(to_i64(expected_revision))
            .execute(&mut *conn)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM permission_rules WHERE automation_id = $1")
            .bind(automation.id.as_str())
            .execute(&mut *conn)
            .await?;
        insert_rules(conn, automation).await?;
        Ok(true)
    }

    /// Writes what the engine itself changes about an automation (a fire moving the schedule
    /// anchor; a run's end bumping the revision, or pausing it on a failure streak) as a new
    /// revision, leaving the rest of the definition and its rules as they are.
    pub(crate) async fn update_engine_owned(
        conn: &mut Conn,
        automation: &Automation,
        expected_revision: u64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE automations
             SET schedule_anchor = $1, paused = $2, paused_reason = $3, paused_by_all = $4, revision = $5,
                 updated_at = $6, next_fire_at = $7
             WHERE id = $8 AND revision = $9 AND deleted_at IS NULL",
        )
        .bind(automation.schedule_anchor.map(to_millis))
        .bind(automation.spec.paused)
        .bind(stored_reason(automation.status.paused_reason))
        .bind(automation.status.paused_reason == Some(PausedReason::AllPaused))
        .bind(to_i64(automation.revision))
        .bind(to_millis(automation.updated_at))
        .bind(planned_fire(automation))
        .bind(automation.id.as_str())
        .bind(to_i64(expected_revision))
        .execute(conn)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Writes what the engine owns of each of `moved` in one statement
    /// (a fire burst moved hundreds of anchors one statement each); returns how many rows
    /// changed, which is fewer than given when one changed or was deleted meanwhile. It stamps
    /// them with the next listing version itself (one for all: a list only asks what changed
    /// after the version it has), which spares the trigger's second write of each row.
    pub(crate) async fn update_engine_owned_many(
        conn: &mut Conn,
        moved: &[Moved<'_>],
    ) -> Result<u64> {
        let rows: Vec<serde_json::Value> = moved
            .iter()
            .map(
                |Moved {
                     automation,
                     expected_revision,
                     planned,
                 }| {
                    serde_json::json!([
                        automation.id.as_str(),
                        automation.schedule_anchor.map(to_millis),
                        automation.spec.paused,
                        stored_reason(automation.status.paused_reason),
                        automation.status.paused_reason == Some(PausedReason::AllPaused),
                        to_i64(automation.revision),
                        to_millis(automation.updated_at),
                        planned.map(to_millis),
                        to_i64(*expected_revision),
                    ])
                },
            )
            .collect();
        // On PostgreSQL the listing version is the trigger's (from a sequence), whatever a
        // statement writes; SQLite's one stamp for all is written here, sparing its trigger a
        // second write of each row.
        let sql = if POSTGRES {
            "UPDATE automations
             SET schedule_anchor = u.anchor, paused = u.paused, paused_reason = u.reason,
                 paused_by_all = u.by_all, revision = u.revision, updated_at = u.updated_at,
                 next_fire_at = u.next_fire
             FROM (SELECT value->>0 AS id, (value->>1)::BIGINT AS anchor,
                          (value->>2)::BOOLEAN AS paused, value->>3 AS reason,
                          (value->>4)::BOOLEAN AS by_all, (value->>5)::BIGINT AS revision,
                          (value->>6)::BIGINT AS updated_at, (value->>7)::BIGINT AS next_fire,
                          (value->>8)::BIGINT AS expected
                   FROM json_array_elements($1::json) AS value) AS u
             WHERE automations.id = u.id AND automations.revision = u.expected
               AND automations.deleted_at IS NULL"
        } else {
            "UPDATE automations
             SET schedule_anchor = u.anchor, paused = u.paused, paused_reason = u.reason,
                 paused_by_all = u.by_all, revision = u.revision, updated_at = u.updated_at,
                 next_fire_at = u.next_fire,
                 listed_version = (SELECT MAX(listed_version) + 1 FROM automations)
             FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS anchor,
                          json_extract(value, '$[2]') AS paused, json_extract(value, '$[3]') AS reason,
                          json_extract(value, '$[4]') AS by_all,
                          json_extract(value, '$[5]') AS revision,
                          json_extract(value, '$[6]') AS updated_at,
                          json_extract(value, '$[7]') AS next_fire,
                          json_extract(value, '$[8]') AS expected
                   FROM json_each($1)) AS u
             WHERE automations.id = u.id AND automations.revision = u.expected
               AND automations.deleted_at IS NULL"
        };
        let done = sqlx::query(sql)
        .bind(serde_json::Value::Array(rows).to_string())
        .execute(conn)
        .await?;
        Ok(done.rows_affected())
    }

    /// The listing version of each of `ids` still live, by id: what a read of them was as of.
    pub(crate) async fn listed_versions(
        conn: &mut Conn,
        ids: &[AutomationId],
    ) -> Result<std::collections::HashMap<String, i64>> {
        let ids_json =
            serde_json::json!(ids.iter().map(AutomationId::as_str).collect::<Vec<_>>()).to_string();
        let rows: Vec<(String, i64)> = sqlx::query_as(&format!(
            "SELECT id, listed_version FROM automations WHERE id IN ({}) AND deleted_at IS NULL",
            ids_in(1)
        ))
        .bind(ids_json)
        .fetch_all(conn)
        .await?;
        Ok(rows.into_iter().collect())
    }

    /// A live (not deleted) automation.
    pub(crate) async fn get(
        conn: &mut Conn,
        id: &AutomationId,
    ) -> Result<Option<Automation>> {
        fetch(conn, id, false).await
    }

    /// An automation, deleted or not (the runs of a deleted one stay reviewable).
    pub(crate) async fn get_including_deleted(
        conn: &mut Conn,
        id: &AutomationId,
    ) -> Result<Option<Automation>> {
        fetch(conn, id, true).await
    }

    /// Every live automation, oldest first.
    pub(crate) async fn list(conn: &mut Conn) -> Result<Vec<Automation>> {
        let rows: Vec<AutomationRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM automations WHERE deleted_at IS NULL ORDER BY id"
        ))
        .fetch_all(&mut *conn)
        .await?;
        let rules: Vec<RuleRow> = sqlx::query_as(
            "SELECT r.automation_id, r.tool, r.pattern, r.command, r.exact, r.action, r.reason,
                    r.examples FROM permission_rules r
             JOIN automations a ON a.id = r.automation_id
             WHERE a.deleted_at IS NULL ORDER BY r.automation_id, r.position",
        )
        .fetch_all(&mut *conn)
        .await?;
        let mut rules = rules_by_automation(rules)?;
        rows.into_iter()
            .map(|row| {
                let own = rules.remove(&row.id).unwrap_or_default();
                row.into_automation(own)
            })
            .collect()
    }

    /// Whether some live automation is paused by "Pause all schedules".
    pub(crate) async fn any_paused_by_all(conn: &mut Conn) -> Result<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM automations
              WHERE deleted_at IS NULL AND paused_by_all AND paused_reason IS NULL)",
        )
        .fetch_one(&mut *conn)
        .await?)
    }

    /// The highest listing version: changes when anything a list shows changes (see the
    /// `listing_version` migration).
    pub(crate) async fn listing_version(conn: &mut Conn) -> Result<i64> {
        let version: Option<i64> = sqlx::query_scalar("SELECT MAX(listed_version) FROM automations")
            .fetch_one(&mut *conn)
            .await?;
        Ok(version.unwrap_or(0))
    }

    /// What changed since listing version `since`: the live automations stamped after it, each
    /// with its planned fire, and the ids of those deleted after it; in no particular order
    /// (an order by id would read every row instead of the listing-version index).
    pub(crate) async fn listed_since(
        conn: &mut Conn,
        since: i64,
    ) -> Result<(Vec<(Automation, Option<DateTime<Utc>>)>, Vec<AutomationId>)> {
        #[derive(FromRow)]
        struct ListedRow {
            #[sqlx(flatten)]
            row: AutomationRow,
            next_fire_at: Option<i64>,
            deleted: bool,
        }
        let rows: Vec<ListedRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS}, next_fire_at, deleted_at IS NOT NULL AS deleted FROM automations
             WHERE listed_version > $1"
        ))
        .bind(since)
        .fetch_all(&mut *conn)
        .await?;
        let rules: Vec<RuleRow> = sqlx::query_as(
            "SELECT r.automation_id, r.tool, r.pattern, r.command, r.exact, r.action, r.reason,
                    r.examples FROM permission_rules r
             WHERE r.automation_id IN (SELECT id FROM automations
                                       WHERE listed_version > $1 AND deleted_at IS NULL)
             ORDER BY r.automation_id, r.position",
        )
        .bind(since)
        .fetch_all(&mut *conn)
        .await?;
        let mut rules = rules_by_automation(rules)?;
        let (mut live, mut deleted) = (Vec::new(), Vec::new());
        for ListedRow {
            row,
            next_fire_at,
            deleted: gone,
        } in rows
        {
            if gone {
                deleted.push(AutomationId::from_string(row.id));
                continue;
            }
            let own = rules.remove(&row.id).unwrap_or_default();
            live.push((row.into_automation(own)?, next_fire_at.map(from_millis)));
        }
        Ok((live, deleted))
    }

    /// The live automations among `ids`, in the order of `ids`; in two queries whatever their
    /// number (the scheduler reads a batch of due ones this way).
    pub(crate) async fn get_many(
        conn: &mut Conn,
        ids: &[AutomationId],
    ) -> Result<Vec<Automation>> {
        let ids_json =
            serde_json::json!(ids.iter().map(AutomationId::as_str).collect::<Vec<_>>()).to_string();
        let rows: Vec<AutomationRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM automations WHERE id IN ({}) AND deleted_at IS NULL",
            ids_in(1)
        ))
        .bind(&ids_json)
        .fetch_all(&mut *conn)
        .await?;
        let rules: Vec<RuleRow> = sqlx::query_as(&format!(
            "SELECT {RULE_COLUMNS} FROM permission_rules
             WHERE automation_id IN ({}) ORDER BY automation_id, position",
            ids_in(1)
        ))
        .bind(&ids_json)
        .fetch_all(&mut *conn)
        .await?;
        let mut rules = rules_by_automation(rules)?;
        let mut found = std::collections::HashMap::with_capacity(rows.len());
        for row in rows {
            let own = rules.remove(&row.id).unwrap_or_default();
            let automation = row.into_automation(own)?;
            found.insert(automation.id.clone(), automation);
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    /// Marks an automation deleted at `revision`; its runs keep pointing at the row.
    pub(crate) async fn mark_deleted(
        conn: &mut Conn,
        id: &AutomationId,
        revision: u64,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE automations SET deleted_at = $1, revision = $2, updated_at = $3, next_fire_at = NULL
             WHERE id = $4 AND deleted_at IS NULL",
        )
        .bind(to_millis(now))
        .bind(to_i64(revision))
        .bind(to_millis(now))
        .bind(id.as_str())
        .execute(conn)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
