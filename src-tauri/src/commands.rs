//! One command per engine operation: argument in, one engine call, error mapped.

use autowork_core::agent::permissions::{self, BashDecision};
use autowork_core::changes::RunChanges;
use autowork_core::definition::{Automation, PermissionRule, StopCondition, Trigger};
use autowork_core::draft::{Draft, DraftRequest};
use autowork_core::engine::{Deleted, WorkAreaHolder};
use autowork_core::git::ApplyOutcome;
use autowork_core::ids::{AutomationId, BlockerId, RunId};
use autowork_core::ledger::{Attendance, PermissionDecision, Run};
use autowork_core::originals::Original;
use autowork_core::schedule::{self, SchedulePreview};
use autowork_core::settings::AppSettings;
use autowork_core::transcript::Message;
use autowork_core::{ApiError, Error, ValidationDetail};
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::State;

use crate::state::AppState;

type Reply<T> = Result<T, ApiError>;

#[tauri::command]
#[specta::specta]
pub async fn list_automations(state: State<'_, AppState>) -> Reply<Vec<Automation>> {
    Ok(state.engine.list_automations().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn get_automation(state: State<'_, AppState>, id: String) -> Reply<Automation> {
    Ok(state
        .engine
        .get_automation(&AutomationId::from(id.as_str()))
        .await?)
}

/// `input` is the automation as JSON (see the architecture's field table).
#[tauri::command]
#[specta::specta]
pub async fn create_automation(
    state: State<'_, AppState>,
    input: serde_json::Value,
) -> Reply<Automation> {
    Ok(state.engine.create_automation(&input).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn update_automation(
    state: State<'_, AppState>,
    id: String,
    patch: serde_json::Value,
    expected_revision: u32,
) -> Reply<Automation> {
    let id = AutomationId::from(id.as_str());
    Ok(state
        .engine
        .update_automation(&id, &patch, u64::from(expected_revision))
        .await?)
}

#[tauri::command]
#[specta::specta]
pub async fn set_paused(state: State<'_, AppState>, id: String, paused: bool) -> Reply<Automation> {
    Ok(state
        .engine
        .set_paused(&AutomationId::from(id.as_str()), paused)
        .await?)
}

/// Returns the run it stopped, if one was active, and the worktree it kept because runs'
/// changes there still wait for review.
#[tauri::command]
#[specta::specta]
pub async fn delete_automation(state: State<'_, AppState>, id: String) -> Reply<Deleted> {
    Ok(state
        .engine
        .delete_automation(&AutomationId::from(id.as_str()))
        .await?)
}

/// What a run changed; `null` until it has ended.
#[tauri::command]
#[specta::specta]
pub async fn get_run_changes(
    state: State<'_, AppState>,
    run_id: String,
) -> Reply<Option<RunChanges>> {
    Ok(state
        .engine
        .run_changes(&RunId::from(run_id.as_str()))
        .await?)
}

/// Applies a worktree run's changes to the workspace's branch; a conflict changes nothing
/// and is the outcome, not an error.
#[tauri::command]
#[specta::specta]
pub async fn apply_run(state: State<'_, AppState>, run_id: String) -> Reply<ApplyOutcome> {
    Ok(state
        .engine
        .apply_run(&RunId::from(run_id.as_str()))
        .await?)
}

/// Drops a worktree run's changes.
#[tauri::command]
#[specta::specta]
pub async fn discard_run(state: State<'_, AppState>, run_id: String) -> Reply<RunChanges> {
    Ok(state
        .engine
        .discard_run(&RunId::from(run_id.as_str()))
        .await?)
}

/// The files a crashed run changed in place, as they were before it; empty for other runs.
#[tauri::command]
#[specta::specta]
pub async fn get_run_originals(state: State<'_, AppState>, run_id: String) -> Reply<Vec<Original>> {
    Ok(state
        .engine
        .run_originals(&RunId::from(run_id.as_str()))
        .await?)
}

/// Puts the files a crashed run changed back as they were; returns their paths.
#[tauri::command]
#[specta::specta]
pub async fn restore_run_originals(
    state: State<'_, AppState>,
    run_id: String,
) -> Reply<Vec<String>> {
    Ok(state
        .engine
        .restore_originals(&RunId::from(run_id.as_str()))
        .await?)
}

/// The run that held the work area when this one ended `stopped`/`writer_busy`.
#[tauri::command]
#[specta::specta]
pub async fn get_work_area_holder(
    state: State<'_, AppState>,
    run_id: String,
) -> Reply<Option<WorkAreaHolder>> {
    Ok(state
        .engine
        .work_area_holder(&RunId::from(run_id.as_str()))
        .await?)
}

/// Run now: attended (a person clicked it).
#[tauri::command]
#[specta::specta]
pub async fn run_now(state: State<'_, AppState>, id: String) -> Reply<Run> {
    Ok(state
        .engine
        .run_now(&AutomationId::from(id.as_str()), Attendance::Attended)
        .await?)
}

/// Follow up: continue a finished run's conversation with `message`, attended.
#[tauri::command]
#[specta::specta]
pub async fn follow_up_run(
    state: State<'_, AppState>,
    run_id: String,
    message: String,
) -> Reply<Run> {
    Ok(state
        .engine
        .follow_up(
            &RunId::from(run_id.as_str()),
            &message,
            Attendance::Attended,
        )
        .await?)
}

/// The thread a run belongs to, oldest first: the run it started from, then every
/// follow-up in the order they were made.
#[tauri::command]
#[specta::specta]
pub async fn get_run_thread(state: State<'_, AppState>, run_id: String) -> Reply<Vec<Run>> {
    Ok(state
        .engine
        .run_thread(&RunId::from(run_id.as_str()))
        .await?)
}

#[tauri::command]
#[specta::specta]
pub async fn cancel_run(state: State<'_, AppState>, run_id: String) -> Reply<Run> {
    Ok(state
        .engine
        .cancel_run(&RunId::from(run_id.as_str()))
        .await?)
}

/// A run with its transcript.
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
pub struct RunDetail {
    pub run: Run,
    pub transcript: Vec<Message>,
}

#[tauri::command]
#[specta::specta]
pub async fn get_run(state: State<'_, AppState>, run_id: String) -> Reply<RunDetail> {
    let id = RunId::from(run_id.as_str());
    let run = state.engine.get_run(&id).await?;
    let transcript = state.engine.run_transcript(&id).await?;
    Ok(RunDetail { run, transcript })
}

#[tauri::command]
#[specta::specta]
pub async fn reply_permission(
    state: State<'_, AppState>,
    request_id: String,
    decision: PermissionDecision,
    message: Option<String>,
    always_choice: Option<u32>,
) -> Reply<Run> {
    let id = BlockerId::from(request_id.as_str());
    // "Always allow" with a wider choice than the exact rule: which of `always_options`.
    if let (PermissionDecision::Always, Some(choice)) = (decision, always_choice) {
        return Ok(state.engine.approve_always(&id, choice).await?);
    }
    Ok(state
        .engine
        .reply_permission(&id, decision, message)
        .await?)
}

#[tauri::command]
#[specta::specta]
pub async fn answer_question(
    state: State<'_, AppState>,
    call_id: String,
    answers: Vec<String>,
) -> Reply<Run> {
    Ok(state
        .engine
        .answer_question(&BlockerId::from(call_id.as_str()), answers)
        .await?)
}

/// Runs that need the user: waiting for input, or finished and not yet seen.
#[tauri::command]
#[specta::specta]
pub async fn inbox(state: State<'_, AppState>) -> Reply<Vec<Run>> {
    Ok(state.engine.inbox().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn mark_seen(state: State<'_, AppState>, run_ids: Vec<String>) -> Reply<u32> {
    let ids: Vec<RunId> = run_ids.iter().map(|id| RunId::from(id.as_str())).collect();
    let seen = state.engine.mark_seen(&ids).await?;
    Ok(u32::try_from(seen).unwrap_or(u32::MAX))
}

/// What `permissions` (the editor's rules, saved or not) decide for a bash command, command
/// by command; nothing runs. The editor's "Try a command" box.
#[tauri::command]
#[specta::specta]
pub fn check_command(permissions: Vec<PermissionRule>, command: String) -> BashDecision {
    permissions::decide_bash(&permissions, &command)
}

/// An automation drafted from a sentence by the default model; nothing is saved (the editor
/// opens with it, and Create saves it). `timezone` is the window's IANA zone.
#[tauri::command]
#[specta::specta]
pub async fn draft_automation(
    state: State<'_, AppState>,
    sentence: String,
    workspace: Option<String>,
    timezone: Option<String>,
) -> Reply<Draft> {
    Ok(state
        .engine
        .draft_automation(DraftRequest {
            sentence,
            workspace: workspace.filter(|w| !w.trim().is_empty()).map(Into::into),
            timezone,
            model: None,
        })
        .await?)
}

/// The next fires of a schedule and a sentence describing it; nothing is saved.
#[tauri::command]
#[specta::specta]
pub async fn preview_schedule(
    trigger: Trigger,
    stop: StopCondition,
    count: Option<u32>,
) -> Reply<SchedulePreview> {
    let count = count.unwrap_or(5).clamp(1, 50) as usize;
    schedule::preview(&trigger, &stop, chrono::Utc::now(), count).map_err(|e| {
        ApiError::from(Error::InvalidInput(vec![ValidationDetail::new(
            "trigger",
            "invalid_schedule",
        )
        .with_hint(e.to_string())]))
    })
}

#[tauri::command]
#[specta::specta]
pub async fn get_settings(state: State<'_, AppState>) -> Reply<AppSettings> {
    Ok(AppSettings::load(&state.data_dir)?)
}

#[tauri::command]
#[specta::specta]
pub async fn set_settings(
    state: State<'_, AppState>,
    mut settings: AppSettings,
) -> Reply<AppSettings> {
    // The store changes only through `set_store` (with its password): a page holding older
    // settings must not put the previous choice back.
    settings.store = AppSettings::load(&state.data_dir)?.store;
    settings.save(&state.data_dir)?;
    Ok(settings)
}

/// Where things live, for the Settings view.
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
pub struct AppInfo {
    pub version: String,
    pub data_dir: String,
    pub log_dir: String,
}

#[tauri::command]
#[specta::specta]
pub async fn app_info(state: State<'_, AppState>) -> Reply<AppInfo> {
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").into(),
        data_dir: state.data_dir.display().to_string(),
        log_dir: state.log_dir.display().to_string(),
    })
}

/// Opens the log directory in the system's file manager.
#[tauri::command]
#[specta::specta]
pub async fn open_logs(state: State<'_, AppState>) -> Reply<()> {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(target_os = "windows") {
        "explorer"
    } else {
        "xdg-open"
    };
    std::process::Command::new(opener)
        .arg(&state.log_dir)
        .spawn()
        .map(|_| ())
        .map_err(|source| {
            ApiError::from(Error::Io {
                context: format!("cannot open {} with {opener}", state.log_dir.display()),
                source,
            })
        })
}

/// Tells the shell which run the window shows (no notification for it while focused).
#[tauri::command]
#[specta::specta]
pub async fn set_focused_run(state: State<'_, AppState>, run_id: Option<String>) -> Reply<()> {
    if let Ok(mut focused) = state.focused_run.lock() {
        *focused = run_id;
    }
    Ok(())
}

/// Hides the window to the tray; the app keeps running (and the schedule firing).
#[tauri::command]
#[specta::specta]
pub async fn hide_to_tray(state: State<'_, AppState>, window: tauri::Window) -> Reply<()> {
    let mut settings = AppSettings::load(&state.data_dir)?;
    if !settings.tray_hint_shown {
        settings.tray_hint_shown = true;
        settings.save(&state.data_dir)?;
    }
    crate::shell::put_away(&window)
        .map_err(|e| ApiError::from(Error::Corrupt(format!("cannot hide the window: {e}"))))
}

/// Quits the app: runs in flight are closed as a crash would close them.
#[tauri::command]
#[specta::specta]
pub async fn quit(app: tauri::AppHandle) -> Reply<()> {
    crate::shell::quit(&app).await;
    Ok(())
}

/// Whether Autowork starts when the user logs in.
#[tauri::command]
#[specta::specta]
pub async fn get_autostart(app: tauri::AppHandle) -> Reply<bool> {
    use tauri_plugin_autostart::ManagerExt;
    app.autolaunch().is_enabled().map_err(|e| {
        ApiError::from(Error::Corrupt(format!(
            "cannot read the start-at-login setting: {e}"
        )))
    })
}

#[tauri::command]
#[specta::specta]
pub async fn set_autostart(app: tauri::AppHandle, enabled: bool) -> Reply<bool> {
    use tauri_plugin_autostart::ManagerExt;
    let launcher = app.autolaunch();
    let done = if enabled {
        launcher.enable()
    } else {
        launcher.disable()
    };
    done.map_err(|e| {
        ApiError::from(Error::Corrupt(format!(
            "cannot change the start-at-login setting: {e}"
        )))
    })?;
    Ok(enabled)
}

/// "Pause all schedules" (`paused = true`) and "Resume all schedules"; returns how many
/// automations changed. Resuming leaves automations paused one by one alone.
#[tauri::command]
#[specta::specta]
pub async fn pause_all_schedules(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    paused: bool,
) -> Reply<u32> {
    let changed = state.engine.pause_all_schedules(paused).await?;
    crate::tray::refresh(&app, &state.engine).await;
    Ok(changed)
}
