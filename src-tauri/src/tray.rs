//! The tray icon: the runs waiting for the user (each opens its run), Open, Pause all
//! schedules, the next fire, and Quit. Rebuilt whenever a run or automation changes.

use autowork_core::definition::PausedReason;
use autowork_core::ledger::RunState;
use autowork_core::{Engine, RunFilter};
use chrono::{DateTime, Local, Utc};
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{App, AppHandle, Manager, Runtime};
use tauri_specta::Event;

use crate::bindings::ShowRun;

const TRAY_ID: &str = "autowork";
/// Waiting runs listed in the menu; the rest are counted.
const WAITING_LISTED: usize = 5;
const RUN_ITEM_PREFIX: &str = "run:";

/// What the menu shows, read from the engine.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct TrayState {
    /// Runs awaiting input: (run id, automation title), newest first.
    pub waiting: Vec<(String, String)>,
    pub waiting_total: usize,
    pub all_paused: bool,
    /// The soonest fire: (automation title, when).
    pub next_fire: Option<(String, DateTime<Utc>)>,
}

impl TrayState {
    pub fn tooltip(&self) -> String {
        match self.waiting_total {
            0 => "Autowork".to_owned(),
            1 => "Autowork: 1 run needs you".to_owned(),
            n => format!("Autowork: {n} runs need you"),
        }
    }

    /// The menu's lines, as (id, label, enabled); `None` is a separator.
    pub fn lines(&self) -> Vec<Option<(String, String, bool)>> {
        let mut lines = Vec::new();
        let line = |id: &str, label: String, enabled: bool| Some((id.to_owned(), label, enabled));
        if self.waiting_total > 0 {
            for (run_id, title) in &self.waiting {
                lines.push(line(
                    &format!("{RUN_ITEM_PREFIX}{run_id}"),
                    format!("Answer: {title}"),
                    true,
                ));
            }
            let more = self.waiting_total.saturating_sub(self.waiting.len());
            if more > 0 {
                lines.push(line(
                    "inbox",
                    format!("{more} more waiting in the Inbox…"),
                    true,
                ));
            }
            lines.push(None);
        }
        lines.push(line("open", "Open Autowork".into(), true));
        lines.push(None);
        lines.push(if self.all_paused {
            line("resume_all", "Resume all schedules".into(), true)
        } else {
            line("pause_all", "Pause all schedules".into(), true)
        });
        let next = match &self.next_fire {
            _ if self.all_paused => "Schedules paused".to_owned(),
            Some((title, at)) => {
                let local = at.with_timezone(&Local);
                let when = if local.date_naive() == Local::now().date_naive() {
                    local.format("%H:%M").to_string()
                } else {
                    local.format("%a %H:%M").to_string()
                };
                format!("Next: {title} at {when}")
            }
            None => "No scheduled runs".to_owned(),
        };
        lines.push(line("next", next, false));
        lines.push(None);
        lines.push(line("quit", "Quit Autowork".into(), true));
        lines
    }
}

fn build_menu<R: Runtime, M: Manager<R>>(app: &M, state: &TrayState) -> tauri::Result<Menu<R>> {
    let menu = Menu::new(app)?;
    for line in state.lines() {
        match line {
            Some((id, label, enabled)) => {
                menu.append(&MenuItem::with_id(app, id, label, enabled, None::<&str>)?)?
            }
            None => menu.append(&PredefinedMenuItem::separator(app)?)?,
        }
    }
    Ok(menu)
}

pub fn create(app: &App) -> tauri::Result<()> {
    let state = TrayState::default();
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .title("Autowork")
        .tooltip(state.tooltip())
        .menu(&build_menu(app, &state)?)
        .on_menu_event(|app, event| on_menu(app, event.id.as_ref()));
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    Ok(())
}

fn on_menu(app: &AppHandle, id: &str) {
    match id {
        "open" => crate::shell::show_main(app),
        "inbox" | "next" => crate::shell::show_main(app),
        "pause_all" | "resume_all" => {
            let app = app.clone();
            let paused = id == "pause_all";
            tauri::async_runtime::spawn(async move {
                let Some(state) = app.try_state::<crate::state::AppState>() else {
                    return;
                };
                if let Err(e) = state.engine.pause_all_schedules(paused).await {
                    tracing::warn!(error = %e, "cannot change all schedules from the tray");
                }
                refresh(&app, &state.engine).await;
            });
        }
        "quit" => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move { crate::shell::quit(&app).await });
        }
        other => {
            if let Some(run_id) = other.strip_prefix(RUN_ITEM_PREFIX) {
                crate::shell::show_main(app);
                let show = ShowRun {
                    run_id: run_id.to_owned(),
                };
                if let Err(e) = show.emit(app) {
                    tracing::warn!(error = %e, "cannot open the run from the tray");
                }
            }
        }
    }
}

/// Reads what the tray shows from the engine.
pub async fn read_state(engine: &Engine) -> autowork_core::Result<TrayState> {
    let filter = RunFilter {
        states: vec![RunState::AwaitingInput],
        ..RunFilter::default()
    };
    let page = engine.list_runs(&filter, None, Some(500)).await?;
    let automations = engine.list_automations().await?;
    let title_of = |id: &autowork_core::ids::AutomationId| {
        automations.iter().find(|a| &a.id == id).map_or_else(
            || "a deleted automation".to_owned(),
            |a| a.spec.title.clone(),
        )
    };
    let waiting = page
        .runs
        .iter()
        .take(WAITING_LISTED)
        .map(|run| (run.id.to_string(), title_of(&run.automation_id)))
        .collect();
    let next_fire = automations
        .iter()
        .filter_map(|a| a.status.next_fire_at.map(|at| (a.spec.title.clone(), at)))
        .min_by_key(|(_, at)| *at);
    Ok(TrayState {
        waiting,
        waiting_total: page.runs.len(),
        all_paused: automations
            .iter()
            .any(|a| a.status.paused_reason == Some(PausedReason::AllPaused)),
        next_fire,
    })
}

/// Updates the tray's menu and tooltip and the window badge.
pub async fn refresh(app: &AppHandle, engine: &Engine) {
    let state = match read_state(engine).await {
        Ok(state) => state,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read what the tray shows");
            return;
        }
    };
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let _ = tray.set_tooltip(Some(&state.tooltip()));
        match build_menu(app, &state) {
            Ok(menu) => {
                let _ = tray.set_menu(Some(menu));
            }
            Err(e) => tracing::warn!(error = %e, "cannot rebuild the tray menu"),
        }
    }
    if let Some(window) = app.get_webview_window("main") {
        let count = (state.waiting_total > 0).then_some(state.waiting_total as i64);
        let _ = window.set_badge_count(count);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(state: &TrayState) -> Vec<String> {
        state
            .lines()
            .into_iter()
            .map(|l| l.map_or("—".to_owned(), |(_, label, _)| label))
            .collect()
    }

    #[test]
    fn waiting_runs_come_first_and_the_rest_are_counted() {
        let state = TrayState {
            waiting: vec![("run_1".into(), "Triage".into())],
            waiting_total: 3,
            all_paused: false,
            next_fire: None,
        };
        let lines = labels(&state);
        assert_eq!(lines[0], "Answer: Triage");
        assert_eq!(lines[1], "2 more waiting in the Inbox…");
        assert!(lines.contains(&"Pause all schedules".to_owned()));
        assert!(lines.contains(&"No scheduled runs".to_owned()));
        assert_eq!(state.tooltip(), "Autowork: 3 runs need you");
    }

    #[test]
    fn paused_schedules_offer_resume_and_say_so() {
        let state = TrayState {
            all_paused: true,
            next_fire: Some(("Nightly".into(), Utc::now())),
            ..TrayState::default()
        };
        let lines = labels(&state);
        assert!(lines.contains(&"Resume all schedules".to_owned()));
        assert!(lines.contains(&"Schedules paused".to_owned()));
        assert_eq!(lines.last().map(String::as_str), Some("Quit Autowork"));
    }

    #[test]
    fn the_next_fire_is_named() {
        let state = TrayState {
            next_fire: Some(("Nightly".into(), Utc::now())),
            ..TrayState::default()
        };
        assert!(labels(&state)
            .iter()
            .any(|l| l.starts_with("Next: Nightly at ")));
    }
}
