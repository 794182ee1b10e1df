//! Turning `--file` and flags into the automation JSON the engine validates. Only what a
//! flag's own syntax needs is checked here (PROVIDER/MODEL, durations, the file); every rule
//! about automations stays in the engine.

use std::io::Read;
use std::path::Path;

use autowork_core::definition::ModelRef;
use autowork_core::{ApiError, Error, ValidationDetail};
use serde_json::{json, Map, Value};

use crate::args::{ScheduleArgs, SpecArgs};

/// The fields `args` sets, on top of the file's object; `paused` is added when given.
/// Problems with the flags are reported together, as an `invalid_input` validation error.
pub fn build(args: &SpecArgs, paused: Option<bool>) -> Result<Map<String, Value>, ApiError> {
    let mut problems = Vec::new();
    let mut fields = match &args.file {
        Some(path) => read_object(path).unwrap_or_else(|problem| {
            problems.push(problem);
            Map::new()
        }),
        None => Map::new(),
    };
    let mut set = |key: &str, value: Value| {
        fields.insert(key.to_owned(), value);
    };
    if let Some(title) = &args.title {
        set("title", json!(title));
    }
    if let Some(prompt) = &args.prompt {
        set("prompt", json!(prompt));
    }
    if let Some(workspace) = &args.workspace {
        // The engine wants an absolute path; a relative one means "from here".
        match std::path::absolute(workspace) {
            Ok(path) => set("workspace", json!(path.to_string_lossy())),
            Err(e) => problems.push(
                ValidationDetail::new("--workspace", "unresolvable_path").with_hint(e.to_string()),
            ),
        }
    }
    if let Some(model) = &args.model {
        match model_ref(model) {
            Ok(model) => set(
                "model",
                json!({ "provider_id": model.provider_id, "model_id": model.model_id }),
            ),
            Err(problem) => problems.push(problem),
        }
    }
    if let Some(variant) = &args.variant {
        set("variant", json!(variant));
    }
    match trigger(&args.schedule) {
        Ok(Some(trigger)) => set("trigger", trigger),
        Ok(None) => {}
        Err(problem) => problems.push(problem),
    }
    if let Some(step_cap) = args.step_cap {
        set("step_cap", json!(step_cap));
    }
    if let Some(paused) = paused {
        set("paused", json!(paused));
    }
    if problems.is_empty() {
        Ok(fields)
    } else {
        Err(Error::InvalidInput(problems).into())
    }
}

fn read_object(path: &Path) -> Result<Map<String, Value>, ValidationDetail> {
    let mut text = String::new();
    let read = if path == Path::new("-") {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(path).map(|t| text = t)
    };
    read.map_err(|e| {
        ValidationDetail::new("--file", "unreadable_file")
            .with_hint(format!("{}: {e}", path.display()))
    })?;
    match serde_json::from_str(&text) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err(ValidationDetail::new("--file", "expected_object")
            .with_hint("the file holds one JSON object of automation fields")),
        Err(e) => Err(ValidationDetail::new("--file", "invalid_json").with_hint(e.to_string())),
    }
}

/// The trigger the schedule flags describe, if any (clap lets at most one kind through).
fn trigger(schedule: &ScheduleArgs) -> Result<Option<Value>, ValidationDetail> {
    if let Some(expression) = &schedule.cron {
        let timezone = schedule
            .timezone
            .clone()
            .unwrap_or_else(autowork_core::clock::local_timezone);
        return Ok(Some(json!({
            "kind": "cron", "expression": expression, "timezone": timezone,
        })));
    }
    if let Some(every) = &schedule.every {
        let every_ms = parse_duration_ms(every).ok_or_else(|| {
            ValidationDetail::new("--every", "invalid_duration")
                .with_hint("a whole number with a unit: 45s, 30m, 2h, 1d, or plain milliseconds")
        })?;
        return Ok(Some(json!({ "kind": "interval", "every_ms": every_ms })));
    }
    if let Some(at) = &schedule.at {
        // The engine checks the timestamp, so its message is the one users see.
        return Ok(Some(json!({ "kind": "once", "fire_at": at })));
    }
    Ok(schedule.manual.then(|| json!({ "kind": "manual" })))
}

/// `45s`, `30m`, `2h`, `1d`, `250ms` or a plain number of milliseconds.
pub fn parse_duration_ms(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let count: u64 = digits.parse().ok()?;
    let factor = match unit {
        "" | "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    count.checked_mul(factor)
}

/// `--model PROVIDER/MODEL` as a model reference.
pub fn model_ref(text: &str) -> Result<ModelRef, ValidationDetail> {
    match text.split_once('/') {
        Some((provider, model)) if !provider.is_empty() && !model.is_empty() => Ok(ModelRef {
            provider_id: provider.to_owned(),
            model_id: model.to_owned(),
        }),
        _ => Err(ValidationDetail::new("--model", "invalid_model_ref")
            .with_hint("write it as PROVIDER/MODEL, e.g. openai/gpt-5 (see `autowork models`)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn durations_take_a_unit_or_mean_milliseconds() {
        assert_eq!(parse_duration_ms("45s"), Some(45_000));
        assert_eq!(parse_duration_ms("30m"), Some(1_800_000));
        assert_eq!(parse_duration_ms("2h"), Some(7_200_000));
        assert_eq!(parse_duration_ms("1d"), Some(86_400_000));
        assert_eq!(parse_duration_ms("90000"), Some(90_000));
        assert_eq!(parse_duration_ms("500ms"), Some(500));
    }

    #[test]
    fn malformed_durations_are_refused() {
        for text in [
            "",
            "m",
            "1.5h",
            "30 minutes",
            "-5s",
            "99999999999999999999d",
        ] {
            assert_eq!(parse_duration_ms(text), None, "{text:?} should be refused");
        }
    }
}
