//! The tray icon: how many runs wait for the user, Open and Quit.

use autowork_core::ledger::RunState;
use autowork_core::{Engine, RunFilter};
use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{App, AppHandle, Manager};

const TRAY_ID: &str = "autowork";

pub fn create(app: &App) -> tauri::Result<()> {
    let open = MenuItem::with_id(app, "open", "Open Autowork", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Autowork", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&open, &quit])?;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Autowork")
        .menu(&menu)
        .on_menu_event(|app, event| match event.id.as_ref() {
            "open" => crate::shell::show_main(app),
            "quit" => {
                let app = app.clone();
                tauri::async_runtime::spawn(async move { crate::shell::quit(&app).await });
            }
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    Ok(())
}

/// Updates the tray and the window badge with the number of runs awaiting input.
pub async fn refresh(app: &AppHandle, engine: &Engine) {
    let filter = RunFilter {
        automation_id: None,
        states: vec![RunState::AwaitingInput],
    };
    let waiting = match engine.list_runs(&filter, None, Some(500)).await {
        Ok(page) => page.runs.len(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot count runs awaiting input");
            return;
        }
    };
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let tooltip = match waiting {
            0 => "Autowork".to_owned(),
            1 => "Autowork: 1 run needs you".to_owned(),
            n => format!("Autowork: {n} runs need you"),
        };
        let _ = tray.set_tooltip(Some(&tooltip));
        let _ = tray.set_title((waiting > 0).then(|| waiting.to_string()).as_deref());
    }
    if let Some(window) = app.get_webview_window("main") {
        let count = (waiting > 0).then_some(waiting as i64);
        let _ = window.set_badge_count(count);
    }
}
