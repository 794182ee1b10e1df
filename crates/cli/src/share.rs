//! `autowork automation export | import | schema`: automations as files to share and keep
//! in git (the format is `autowork_core::automation_file`), and the file's JSON Schema.

use std::io::Read;
use std::path::Path;

use autowork_core::automation_file::{self, check_import};
use autowork_core::definition::ValidationContext;
use autowork_core::ids::AutomationId;
use autowork_core::{Engine, Error, ValidationDetail};
use chrono::Utc;
use serde::Serialize;
use serde_json::{json, Value};

use crate::args::{ExportArgs, ImportArgs};
use crate::automation;
use crate::output::{emit, emit_either, emit_json, internal, Outcome};

/// Writes the automation's file to stdout or `--output`.
pub async fn export(engine: &Engine, args: ExportArgs, json: bool) -> Outcome {
    let id = AutomationId::from(args.id.as_str());
    let automation = engine.get_automation(&id).await?;
    let text = pretty(&automation_file::export(&automation.spec))?;
    let Some(path) = args.output.filter(|path| path != Path::new("-")) else {
        return emit(&text);
    };
    std::fs::write(&path, &text).map_err(|e| {
        Error::InvalidInput(vec![ValidationDetail::new("--output", "unwritable_file")
            .with_hint(format!("{}: {e}", path.display()))])
    })?;
    let output = path.display().to_string();
    emit_either(
        json,
        &json!({ "id": id.to_string(), "output": output }),
        |_| format!("exported {id} to {output}\n"),
    )
}

/// Validates the file like a create (every problem at once, header keys included) and
/// creates the automation it defines.
pub async fn import(engine: &Engine, args: ImportArgs, json: bool) -> Outcome {
    let text = read_input("FILE", &args.file).map_err(|d| Error::InvalidInput(vec![d]))?;
    let file: Value = serde_json::from_str(&text).map_err(|e| {
        Error::InvalidAutomation(vec![ValidationDetail::new("", "invalid_json")
            .with_hint(format!("{}: {e}", args.file.display()))])
    })?;
    let catalog = engine.catalog();
    let ctx = ValidationContext {
        catalog: &catalog,
        now: Utc::now(),
    };
    let definition = check_import(&file, &ctx).map_err(Error::InvalidAutomation)?;
    let created = engine.create_automation(&definition).await?;
    emit_either(json, &created, automation::view)
}

/// The JSON Schema of the file, as checked in at docs/automation.schema.json.
pub fn schema() -> Outcome {
    emit_json(&automation_file::json_schema())
}

/// The text of `path`, or of stdin for `-`; a failure names `flag`.
pub fn read_input(flag: &str, path: &Path) -> Result<String, ValidationDetail> {
    let mut text = String::new();
    let read = if path == Path::new("-") {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(path).map(|t| text = t)
    };
    read.map_err(|e| {
        ValidationDetail::new(flag, "unreadable_file").with_hint(format!("{}: {e}", path.display()))
    })?;
    Ok(text)
}

fn pretty<T: Serialize>(value: &T) -> Result<String, crate::output::Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| internal(format!("cannot serialize the automation: {e}")))?;
    Ok(format!("{text}\n"))
}
