//! Turning untrusted JSON into an [`AutomationSpec`], reporting every problem at once with
//! its field path and a machine-readable message.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::*;
use crate::catalog::Catalog;
use crate::error::ValidationDetail;

mod rules;
mod sandbox;

/// What validation checks against besides the input itself.
pub struct ValidationContext<'a> {
    pub catalog: &'a Catalog,
    pub now: DateTime<Utc>,
}

const FIELDS: &[&str] = &[
    "title",
    "prompt",
    "workspace",
    "model",
    "variant",
    "trigger",
    "stop",
    "context",
    "placement",
    "permissions",
    "step_cap",
    "timeout_minutes",
    "budget_usd",
    "daily_budget_usd",
    "wait_for_input_when_unattended",
    "paused",
    "failure_streak_limit",
    "catch_up",
    "catch_up_max_age_hours",
    "overlap",
    "sandbox",
];

/// Fields the engine owns: present in what it returns, refused in what it is given.
const READ_ONLY_FIELDS: &[&str] = &[
    "id",
    "revision",
    "session_id",
    "created_at",
    "updated_at",
    "next_fire_at",
    "next_fires",
    "failure_streak",
    "last_run",
    "finished",
    "paused_reason",
];

/// Applies a top-level patch (each key replaces the field; `null` clears an optional one)
/// to a stored definition, and returns the merged JSON and the names of the fields the patch
/// touched.
pub fn merge_patch(
    current: &AutomationSpec,
    patch: &Value,
) -> Result<(Value, Vec<String>), Vec<ValidationDetail>> {
    let Some(patch) = patch.as_object() else {
        return Err(vec![ValidationDetail::new("", "expected_object")
            .with_hint("an update is a JSON object of the fields to change")]);
    };
    let mut merged = match serde_json::to_value(current) {
        Ok(Value::Object(map)) => map,
        _ => return Err(vec![ValidationDetail::new("", "unserializable_definition")]),
    };
    for (key, value) in patch {
        merged.insert(key.clone(), value.clone());
    }
    Ok((Value::Object(merged), patch.keys().cloned().collect()))
}

/// Parses and checks a whole definition. `changed` names the top-level fields the caller
/// changed: checks against the outside world (the clock, the disk, the catalog) run only on
/// those, so an unrelated edit never fails because time passed or a directory moved.
pub fn parse_spec(
    input: &Value,
    ctx: &ValidationContext<'_>,
    changed: &dyn Fn(&str) -> bool,
) -> Result<AutomationSpec, Vec<ValidationDetail>> {
    let mut check = Checker {
        errors: Vec::new(),
        ctx,
        changed,
    };
    let spec = check.spec(input);
    match spec {
        Some(spec) if check.errors.is_empty() => Ok(spec),
        _ => Err(check.errors),
    }
}

struct Checker<'a> {
    errors: Vec<ValidationDetail>,
    ctx: &'a ValidationContext<'a>,
    changed: &'a dyn Fn(&str) -> bool,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// A present, non-null value.
fn present<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    obj.get(key).filter(|v| !v.is_null())
}

impl Checker<'_> {
    fn fail(&mut self, field: impl Into<String>, message: &str) {
        self.errors.push(ValidationDetail::new(field, message));
    }

    fn fail_hint(&mut self, field: impl Into<String>, message: &str, hint: impl Into<String>) {
        self.errors
            .push(ValidationDetail::new(field, message).with_hint(hint));
    }

    fn spec(&mut self, input: &Value) -> Option<AutomationSpec> {
        let Some(obj) = input.as_object() else {
            self.fail_hint("", "expected_object", "an automation is a JSON object");
            return None;
        };
        for key in obj.keys() {
            if READ_ONLY_FIELDS.contains(&key.as_str()) {
                self.fail_hint(
                    key.as_str(),
                    "read_only_field",
                    "the engine sets this field",
                );
            } else if !FIELDS.contains(&key.as_str()) {
                self.fail(key.as_str(), "unsupported_field");
            }
        }

        let title = self.required_text(obj, "title", TITLE_MAX_CHARS, "title_too_long_160");
        if let Some(title) = &title {
            if title.chars().any(char::is_control) {
                self.fail_hint("title", "title_has_control_characters", "use a single line");
            }
        }
        let prompt = self.required_text(obj, "prompt", PROMPT_MAX_CHARS, "prompt_too_long_20000");
        let workspace = self.workspace(obj);
        let model = self.model(obj);
        let variant = self.variant(obj, model.as_ref());
        let trigger = match present(obj, "trigger") {
            None => Some(Trigger::Manual),
            Some(v) => self.trigger(v),
        };
        let stop = match present(obj, "stop") {
            None => Some(StopCondition::Never),
            Some(v) => self.stop(v, trigger.as_ref()),
        };
        let context = match present(obj, "context") {
            None => Some(ContextMode::Fresh),
            Some(v) => self.context(v),
        };
        let placement = match present(obj, "placement") {
            None => Some(Placement::InPlace),
            Some(v) => self.placement(v, workspace.as_deref()),
        };
        let permissions = match present(obj, "permissions") {
            None => Some(Vec::new()),
            Some(v) => self.permissions(v),
        };
        let step_cap = match present(obj, "step_cap") {
            None => Some(STEP_CAP_DEFAULT),
            Some(v) => self.integer("step_cap", v).and_then(|n| {
                self.in_range(
                    "step_cap",
                    n,
                    1,
                    STEP_CAP_MAX.into(),
                    "step_cap_out_of_range_1_500",
                )
            }),
        };
        let timeout_minutes = self.optional(obj, "timeout_minutes", |c, v| {
            c.integer("timeout_minutes", v).and_then(|n| {
                c.in_range(
                    "timeout_minutes",
                    n,
                    1,
                    TIMEOUT_MAX_MINUTES.into(),
                    "timeout_minutes_out_of_range_1_10080",
                )
            })
        });
        let budget_usd = self.optional(obj, "budget_usd", |c, v| c.money("budget_usd", v));
        let daily_budget_usd = self.optional(obj, "daily_budget_usd", |c, v| {
            c.money("daily_budget_usd", v)
        });
        let wait_for_input_when_unattended = self.flag(obj, "wait_for_input_when_unattended");
        let paused = self.flag(obj, "paused");
        let failure_streak_limit = match present(obj, "failure_streak_limit") {
            None => Some(FAILURE_STREAK_LIMIT_DEFAULT),
            Some(v) => self.integer("failure_streak_limit", v).and_then(|n| {
                self.in_range(
                    "failure_streak_limit",
                    n,
                    1,
                    FAILURE_STREAK_LIMIT_MAX.into(),
                    "failure_streak_limit_out_of_range_1_100",
                )
            }),
        };
        let catch_up = match present(obj, "catch_up") {
            None => Some(CatchUp::Once),
            Some(v) => self.choice(
                "catch_up",
                v,
                &[("once", CatchUp::Once), ("skip", CatchUp::Skip)],
            ),
        };
        let catch_up_max_age_hours = match present(obj, "catch_up_max_age_hours") {
            None => Some(CATCH_UP_MAX_AGE_HOURS_DEFAULT),
            Some(v) => self.integer("catch_up_max_age_hours", v).and_then(|n| {
                self.in_range(
                    "catch_up_max_age_hours",
                    n,
                    1,
                    CATCH_UP_MAX_AGE_HOURS_MAX.into(),
                    "catch_up_max_age_hours_out_of_range_1_8760",
                )
            }),
        };
        let overlap = match present(obj, "overlap") {
            None => Some(Overlap::Skip),
            Some(v) => self.choice(
                "overlap",
                v,
                &[("skip", Overlap::Skip), ("queue", Overlap::Queue)],
            ),
        };
        let sandbox = match present(obj, "sandbox") {
            None => Some(SandboxSettings::default()),
            Some(v) => self.sandbox(v),
        };

        Some(AutomationSpec {
            title: title?,
            prompt: prompt?,
            workspace: workspace?,
            model: model?,
            variant: variant?,
            trigger: trigger?,
            stop: stop?,
            context: context?,
            placement: placement?,
            permissions: permissions?,
            step_cap: step_cap?,
            timeout_minutes: timeout_minutes?,
            budget_usd: budget_usd?,
            daily_budget_usd: daily_budget_usd?,
            wait_for_input_when_unattended: wait_for_input_when_unattended?,
            paused: paused?,
            failure_streak_limit: failure_streak_limit?,
            catch_up: catch_up?,
            catch_up_max_age_hours: catch_up_max_age_hours?,
            overlap: overlap?,
            sandbox: sandbox?,
        })
    }

    fn required_text(
        &mut self,
        obj: &Map<String, Value>,
        field: &str,
        max_chars: usize,
        too_long: &str,
    ) -> Option<String> {
        let Some(value) = present(obj, field) else {
            self.fail(field, "required");
            return None;
        };
        let text = self.string(field, value)?;
        if text.trim().is_empty() {
            self.fail(field, "must_not_be_empty");
            return None;
        }
        if text.chars().count() > max_chars {
            self.fail(field, too_long);
            return None;
        }
        Some(text)
    }

    fn string(&mut self, field: &str, value: &Value) -> Option<String> {
        match value.as_str() {
            Some(s) => Some(s.to_owned()),
            None => {
                self.fail_hint(field, "invalid_type", "expected a string");
                None
            }
        }
    }

    fn integer(&mut self, field: &str, value: &Value) -> Option<i64> {
        match value.as_i64() {
            Some(n) => Some(n),
            None => {
                self.fail_hint(field, "invalid_type", "expected a whole number");
                None
            }
        }
    }

    fn in_range<T: TryFrom<i64>>(
        &mut self,
        field: &str,
        n: i64,
        min: i64,
        max: i64,
        message: &str,
    ) -> Option<T> {
        if n < min || n > max {
            self.fail(field, message);
            return None;
        }
        T::try_from(n).ok()
    }

    fn money(&mut self, field: &str, value: &Value) -> Option<f64> {
        let Some(n) = value.as_f64() else {
            self.fail_hint(field, "invalid_type", "expected a number of US dollars");
            return None;
        };
        if !(n.is_finite() && n > 0.0) {
            let message = format!("{field}_must_be_positive");
            self.fail(field, &message);
            return None;
        }
        Some(n)
    }

    fn flag(&mut self, obj: &Map<String, Value>, field: &str) -> Option<bool> {
        match present(obj, field) {
            None => Some(false),
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.fail_hint(field, "invalid_type", "expected true or false");
                None
            }
        }
    }

    /// An optional field: missing or `null` is `None`.
    fn optional<T>(
        &mut self,
        obj: &Map<String, Value>,
        field: &str,
        parse: impl FnOnce(&mut Self, &Value) -> Option<T>,
    ) -> Option<Option<T>> {
        match present(obj, field) {
            None => Some(None),
            Some(v) => parse(self, v).map(Some),
        }
    }

    fn timestamp(&mut self, field: &str, value: &Value) -> Option<DateTime<Utc>> {
        let text = self.string(field, value)?;
        match DateTime::parse_from_rfc3339(&text) {
            Ok(at) => Some(crate::clock::truncate_to_millis(at.with_timezone(&Utc))),
            Err(_) => {
                self.fail_hint(
                    field,
                    "invalid_timestamp",
                    "expected an RFC 3339 time such as 2027-03-27T01:30:00Z",
                );
                None
            }
        }
    }

    /// An object whose keys are all in `allowed`; others are reported as unsupported.
    fn object<'v>(
        &mut self,
        field: &str,
        value: &'v Value,
        allowed: &[&str],
    ) -> Option<&'v Map<String, Value>> {
        let Some(obj) = value.as_object() else {
            self.fail_hint(field, "invalid_type", "expected an object");
            return None;
        };
        for key in obj.keys() {
            if !allowed.contains(&key.as_str()) {
                self.fail(join(field, key), "unsupported_field");
            }
        }
        Some(obj)
    }

    /// The `kind` of a tagged object, one of `kinds`.
    fn kind<'v>(&mut self, field: &str, value: &'v Value, kinds: &[&str]) -> Option<&'v str> {
        let Some(obj) = value.as_object() else {
            self.fail_hint(field, "invalid_type", "expected an object with a `kind`");
            return None;
        };
        let path = join(field, "kind");
        match obj.get("kind").and_then(Value::as_str) {
            Some(kind) if kinds.contains(&kind) => Some(kind),
            Some(_) => {
                self.fail_hint(
                    path,
                    "unknown_kind",
                    format!("expected one of {}", kinds.join(", ")),
                );
                None
            }
            None => {
                self.fail_hint(
                    path,
                    "required",
                    format!("expected one of {}", kinds.join(", ")),
                );
                None
            }
        }
    }

    fn sub<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        field: &str,
        key: &str,
    ) -> Option<&'v Value> {
        let value = present(obj, key);
        if value.is_none() {
            self.fail(join(field, key), "required");
        }
        value
    }

    fn workspace(&mut self, obj: &Map<String, Value>) -> Option<String> {
        let Some(value) = present(obj, "workspace") else {
            self.fail("workspace", "required");
            return None;
        };
        let text = self.string("workspace", value)?;
        if !(self.changed)("workspace") {
            return Some(text);
        }
        let path = Path::new(&text);
        if !path.is_absolute() {
            self.fail_hint(
                "workspace",
                "workspace_must_be_absolute",
                "give the full path of the work directory",
            );
            return None;
        }
        match std::fs::canonicalize(path) {
            Ok(canonical) if canonical.is_dir() => match canonical.to_str() {
                Some(s) => Some(s.to_owned()),
                None => {
                    self.fail("workspace", "workspace_not_utf8");
                    None
                }
            },
            Ok(_) => {
                self.fail("workspace", "workspace_not_a_directory");
                None
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.fail_hint(
                    "workspace",
                    "workspace_not_found",
                    format!("{text} does not exist"),
                );
                None
            }
            Err(e) => {
                self.fail_hint("workspace", "workspace_unreadable", e.to_string());
                None
            }
        }
    }

    fn model(&mut self, obj: &Map<String, Value>) -> Option<ModelRef> {
        let Some(value) = present(obj, "model") else {
            self.fail("model", "required");
            return None;
        };
        let fields = self.object("model", value, &["provider_id", "model_id"])?;
        let provider_id = self
            .sub(fields, "model", "provider_id")
            .and_then(|v| self.string("model.provider_id", v));
        let model_id = self
            .sub(fields, "model", "model_id")
            .and_then(|v| self.string("model.model_id", v));
        let model = ModelRef {
            provider_id: provider_id?,
            model_id: model_id?,
        };
        if (self.changed)("model")
            && self
                .ctx
                .catalog
                .find(&model.provider_id, &model.model_id)
                .is_none()
        {
            self.fail_hint(
                "model",
                "unknown_model",
                format!(
                    "model `{}/{}` is not in the catalog; add it under Settings -> Providers or in models.json",
                    model.provider_id, model.model_id
                ),
            );
            return None;
        }
        Some(model)
    }

    fn variant(
        &mut self,
        obj: &Map<String, Value>,
        model: Option<&ModelRef>,
    ) -> Option<Option<Variant>> {
        let Some(value) = present(obj, "variant") else {
            return Some(None);
        };
        let variant = match value.as_str() {
            Some("low") => Variant::Low,
            Some("medium") => Variant::Medium,
            Some("high") => Variant::High,
            _ => {
                self.fail_hint("variant", "unknown_variant", "expected low, medium or high");
                return None;
            }
        };
        let checked = (self.changed)("variant") || (self.changed)("model");
        if let (true, Some(model)) = (checked, model) {
            let supported = self
                .ctx
                .catalog
                .find(&model.provider_id, &model.model_id)
                .is_some_and(|m| m.variants.contains(&variant));
            if !supported {
                self.fail_hint(
                    "variant",
                    "variant_not_supported",
                    format!(
                        "model `{}` has no `{}` reasoning effort",
                        model.model_id,
                        variant.as_str()
                    ),
                );
                return None;
            }
        }
        Some(Some(variant))
    }

    fn trigger(&mut self, value: &Value) -> Option<Trigger> {
        let kind = self.kind("trigger", value, &["manual", "once", "interval", "cron"])?;
        let checked = (self.changed)("trigger");
        match kind {
            "manual" => {
                self.object("trigger", value, &["kind"])?;
                Some(Trigger::Manual)
            }
            "once" => {
                let obj = self.object("trigger", value, &["kind", "fire_at"])?;
                let fire_at = self.sub(obj, "trigger", "fire_at")?;
                let fire_at = self.timestamp("trigger.fire_at", fire_at)?;
                if checked && fire_at <= self.ctx.now {
                    self.fail("trigger.fire_at", "fire_at_must_be_future");
                    return None;
                }
                Some(Trigger::Once { fire_at })
            }
            "interval" => {
                let obj = self.object("trigger", value, &["kind", "every_ms"])?;
                let every = self.sub(obj, "trigger", "every_ms")?;
                let every = self.integer("trigger.every_ms", every)?;
                let every_ms = self.in_range(
                    "trigger.every_ms",
                    every,
                    INTERVAL_MIN_MS as i64,
                    i64::MAX,
                    "interval_below_minimum_30000ms",
                )?;
                Some(Trigger::Interval { every_ms })
            }
            _ => {
                let obj = self.object("trigger", value, &["kind", "expression", "timezone"])?;
                let expression = self
                    .sub(obj, "trigger", "expression")
                    .and_then(|v| self.string("trigger.expression", v))
                    .and_then(|e| self.cron_expression(e));
                let timezone = self
                    .sub(obj, "trigger", "timezone")
                    .and_then(|v| self.string("trigger.timezone", v))
                    .and_then(|tz| self.timezone(tz));
                let trigger = Trigger::Cron {
                    expression: expression?,
                    timezone: timezone?,
                };
                if checked && !crate::schedule::fires_soon(&trigger, self.ctx.now) {
                    self.fail_hint(
                        "trigger.expression",
                        "cron_never_fires",
                        format!(
                            "no date matches it in the next {} years (a day the month does not have, such as 31 February?)",
                            crate::schedule::FIRST_FIRE_HORIZON_YEARS
                        ),
                    );
                    return None;
                }
                Some(trigger)
            }
        }
    }

    fn cron_expression(&mut self, expression: String) -> Option<String> {
        let fields = expression.split_whitespace().count();
        if fields != 5 {
            self.fail_hint(
                "trigger.expression",
                "invalid_cron_expression",
                format!("expected 5 fields (minute hour day-of-month month day-of-week), found {fields}"),
            );
            return None;
        }
        match croner::Cron::new(&expression).parse() {
            Ok(_) => Some(expression),
            Err(e) => {
                self.fail_hint(
                    "trigger.expression",
                    "invalid_cron_expression",
                    e.to_string(),
                );
                None
            }
        }
    }

    fn timezone(&mut self, timezone: String) -> Option<String> {
        match timezone.parse::<chrono_tz::Tz>() {
            Ok(_) => Some(timezone),
            Err(_) => {
                self.fail_hint(
                    "trigger.timezone",
                    "invalid_timezone",
                    "expected an IANA time zone such as Europe/Berlin or UTC",
                );
                None
            }
        }
    }

    fn stop(&mut self, value: &Value, trigger: Option<&Trigger>) -> Option<StopCondition> {
        let kind = self.kind("stop", value, &["never", "after_runs", "until"])?;
        let stop = match kind {
            "never" => {
                self.object("stop", value, &["kind"])?;
                StopCondition::Never
            }
            "after_runs" => {
                let obj = self.object("stop", value, &["kind", "count"])?;
                let count = self.sub(obj, "stop", "count")?;
                let count = self.integer("stop.count", count)?;
                let count = self.in_range(
                    "stop.count",
                    count,
                    1,
                    u32::MAX.into(),
                    "stop_count_below_minimum_1",
                )?;
                StopCondition::AfterRuns { count }
            }
            _ => {
                let obj = self.object("stop", value, &["kind", "at"])?;
                let at = self.sub(obj, "stop", "at")?;
                let at = self.timestamp("stop.at", at)?;
                if (self.changed)("stop") && at <= self.ctx.now {
                    self.fail("stop.at", "until_must_be_future");
                    return None;
                }
                StopCondition::Until { at }
            }
        };
        if stop != StopCondition::Never && trigger.is_some_and(|t| !t.is_recurring()) {
            self.fail_hint(
                "stop",
                "stop_requires_recurring_trigger",
                "only interval and cron triggers repeat; use `never` for manual and one-shot automations",
            );
            return None;
        }
        Some(stop)
    }

    /// One of a few strings: `unknown_<field>` otherwise, with the choices as the hint.
    fn choice<T: Copy>(&mut self, field: &str, value: &Value, choices: &[(&str, T)]) -> Option<T> {
        let found = value
            .as_str()
            .and_then(|text| choices.iter().find(|(name, _)| *name == text));
        match found {
            Some((_, choice)) => Some(*choice),
            None => {
                let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
                self.fail_hint(
                    field,
                    &format!("unknown_{field}"),
                    format!("expected {}", names.join(" or ")),
                );
                None
            }
        }
    }

    fn context(&mut self, value: &Value) -> Option<ContextMode> {
        match value.as_str() {
            Some("fresh") => Some(ContextMode::Fresh),
            Some("continue") => Some(ContextMode::Continue),
            _ => {
                self.fail_hint("context", "unknown_context", "expected fresh or continue");
                None
            }
        }
    }

    fn placement(&mut self, value: &Value, workspace: Option<&str>) -> Option<Placement> {
        let kind = self.kind("placement", value, &["in_place", "worktree"])?;
        if kind == "in_place" {
            self.object("placement", value, &["kind"])?;
            return Some(Placement::InPlace);
        }
        let obj = self.object("placement", value, &["kind", "name"])?;
        let name = self.sub(obj, "placement", "name")?;
        let name = self.string("placement.name", name)?;
        let valid = !name.is_empty()
            && name.len() <= 63
            && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            self.fail_hint(
                "placement.name",
                "invalid_worktree_name",
                "use 1 to 63 lowercase letters, digits and dashes, starting with a letter or digit",
            );
            return None;
        }
        let checked = (self.changed)("placement") || (self.changed)("workspace");
        if let (true, Some(workspace)) = (checked, workspace) {
            let in_repository = Path::new(workspace)
                .ancestors()
                .any(|dir| dir.join(".git").exists());
            if !in_repository {
                self.fail_hint(
                    "placement",
                    "worktree_requires_git_repository",
                    "the workspace is not inside a git repository; use in_place placement or `git init` it",
                );
                return None;
            }
        }
        Some(Placement::Worktree { name })
    }
}
