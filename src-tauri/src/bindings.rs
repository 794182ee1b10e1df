//! The TypeScript bindings the UI uses (`ui/src/bindings.ts`), generated from the Rust
//! commands and types. A test fails when the checked-in file is stale; regenerate it with
//! `cargo run -p autowork-app -- --export-bindings ui/src/bindings.ts`.

use serde::{Deserialize, Serialize};
use specta::Type;
use specta_typescript::{BigIntExportBehavior, Typescript};
use tauri_specta::{collect_commands, collect_events, Builder, Event};

use crate::commands::*;
use crate::database::*;
use crate::health::*;
use crate::history::*;
use crate::native::*;
use crate::providers::*;
use crate::queue::*;
use crate::retention::*;

/// Every engine event, as the window receives it.
#[derive(Debug, Clone, Serialize, Deserialize, Type, Event)]
pub struct EngineEvent(pub autowork_core::events::EventRecord);

/// Sent when events were missed (the window fell behind): reload what is shown.
#[derive(Debug, Clone, Serialize, Deserialize, Type, Event)]
pub struct Resync;

/// Asks the window to show a run (a notification was clicked).
#[derive(Debug, Clone, Serialize, Deserialize, Type, Event)]
pub struct ShowRun {
    pub run_id: String,
}

/// The window's close button was pressed for the first time: explain the tray.
#[derive(Debug, Clone, Serialize, Deserialize, Type, Event)]
pub struct CloseRequested;

pub fn builder() -> Builder<tauri::Wry> {
    Builder::<tauri::Wry>::new()
        .commands(collect_commands![
            list_automations,
            get_automation,
            create_automation,
            update_automation,
            set_paused,
            delete_automation,
            get_run_changes,
            apply_run,
            discard_run,
            get_run_originals,
            restore_run_originals,
            get_work_area_holder,
            run_now,
            follow_up_run,
            get_run_thread,
            cancel_run,
            list_runs,
            query_runs,
            inbox_view,
            mark_all_seen,
            run_stats,
            upcoming_fires,
            pick_folder,
            describe_folder,
            pause_all_schedules,
            get_run,
            reply_permission,
            answer_question,
            inbox,
            mark_seen,
            preview_schedule,
            draft_automation,
            check_command,
            list_models,
            list_providers,
            set_provider,
            remove_provider,
            set_provider_key,
            test_provider,
            forget_provider_key,
            get_settings,
            set_settings,
            queue_limits,
            set_queue_limits,
            queue_view,
            queue_place,
            workers,
            get_retention,
            set_retention,
            gc_preview,
            gc_now,
            app_info,
            open_logs,
            set_focused_run,
            hide_to_tray,
            quit,
            get_autostart,
            set_autostart,
            get_store,
            test_store,
            set_store,
            forget_store_password,
            restart_app,
            store_health,
            retry_store,
        ])
        .events(collect_events![
            EngineEvent,
            Resync,
            ShowRun,
            CloseRequested,
            StoreHealthChanged
        ])
}

fn language() -> Typescript {
    // Counters (revisions, tokens) stay far below 2^53: plain numbers are right for them.
    Typescript::default()
        .bigint(BigIntExportBehavior::Number)
        .header("// Generated from the Rust commands and types by `autowork-app --export-bindings`. Do not edit.\n")
}

pub fn render() -> Result<String, String> {
    builder().export_str(language()).map_err(|e| e.to_string())
}

pub fn export(path: &std::path::Path) -> Result<(), String> {
    let text = render()?;
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn checked_in_bindings_are_fresh() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings.ts");
        let generated = super::render().expect("bindings render");
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            checked_in == generated,
            "ui/src/bindings.ts is stale: run `cargo run -p autowork-app -- --export-bindings ui/src/bindings.ts`"
        );
    }
}
