//! Native notifications for the engine's [`Notification`]s. On Linux through the freedesktop
//! notification service directly (notify-rust), so a click opens the run and permission
//! requests carry Approve / Deny actions; elsewhere through the notification plugin.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use autowork_core::ledger::Blocker;
use autowork_core::notify::{Notification, Notifier};
use autowork_core::settings::AppSettings;
use autowork_core::Engine;
use tauri::{AppHandle, Manager};

struct Target {
    app: AppHandle,
    data_dir: PathBuf,
    focused_run: Arc<Mutex<Option<String>>>,
}

#[derive(Default)]
pub struct DesktopNotifier {
    target: OnceLock<Target>,
    engine: OnceLock<Arc<Engine>>,
}

/// What a click on a notification can do.
#[derive(Debug, Clone)]
pub enum Action {
    /// Bring the window to the run.
    Open,
    /// Answer a permission request from the notification.
    Approve,
    Deny,
}

impl DesktopNotifier {
    pub fn attach(
        &self,
        app: AppHandle,
        data_dir: PathBuf,
        focused_run: Arc<Mutex<Option<String>>>,
    ) {
        let _ = self.target.set(Target {
            app,
            data_dir,
            focused_run,
        });
    }

    pub fn set_engine(&self, engine: Arc<Engine>) {
        let _ = self.engine.set(engine);
    }
}

/// The run a notification leads to (the last run, when it is about the automation).
fn run_id(notification: &Notification) -> String {
    match notification {
        Notification::BlockerRaised { run, .. } | Notification::RunFailed { run, .. } => {
            run.id.to_string()
        }
        Notification::AutomationPaused { automation } => automation
            .status
            .last_run
            .as_ref()
            .map(|r| r.run_id.to_string())
            .unwrap_or_default(),
    }
}

impl Notifier for DesktopNotifier {
    fn notify(&self, notification: Notification) {
        let Some(target) = self.target.get() else {
            return;
        };
        let enabled = AppSettings::load(&target.data_dir)
            .map(|s| s.notifications)
            .unwrap_or(true);
        if !enabled {
            return;
        }
        let run_id = run_id(&notification);
        let window_focused = target
            .app
            .get_webview_window("main")
            .and_then(|w| w.is_focused().ok())
            .unwrap_or(false);
        let showing = target.focused_run.lock().ok().and_then(|f| f.clone());
        if window_focused && showing.as_deref() == Some(run_id.as_str()) {
            return; // the user is looking at it
        }
        let (title, body) = notification.title_and_body();
        let request = match &notification {
            Notification::BlockerRaised {
                blocker: Blocker::Permission { request_id, .. },
                ..
            } => Some(request_id.to_string()),
            _ => None,
        };
        tracing::info!(run = %run_id, %title, %body, "notifying");
        show(
            target.app.clone(),
            self.engine.get().cloned(),
            title,
            body,
            run_id,
            request,
        );
    }
}

#[cfg(target_os = "linux")]
fn show(
    app: AppHandle,
    engine: Option<Arc<Engine>>,
    title: String,
    body: String,
    run_id: String,
    request: Option<String>,
) {
    // Waiting for the click blocks, so each notification gets its own thread.
    let spawned = std::thread::Builder::new()
        .name("notification".into())
        .spawn(move || {
            let mut notification = notify_rust::Notification::new();
            notification
                .appname("Autowork")
                .summary(&title)
                .body(&body)
                .action("default", "Open");
            if request.is_some() {
                notification
                    .action("approve", "Approve once")
                    .action("deny", "Deny");
            }
            match notification.show() {
                Ok(handle) => handle.wait_for_action(|action| {
                    let chosen = match action {
                        "default" => Some(Action::Open),
                        "approve" => Some(Action::Approve),
                        "deny" => Some(Action::Deny),
                        _ => None, // closed or expired
                    };
                    if let Some(chosen) = chosen {
                        resolve(
                            &app,
                            engine.clone(),
                            chosen,
                            run_id.clone(),
                            request.clone(),
                        );
                    }
                }),
                Err(e) => tracing::warn!(error = %e, "cannot show a notification"),
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start a notification thread");
    }
}

#[cfg(not(target_os = "linux"))]
fn show(
    app: AppHandle,
    _engine: Option<Arc<Engine>>,
    title: String,
    body: String,
    _run_id: String,
    _request: Option<String>,
) {
    use tauri_plugin_notification::NotificationExt;
    if let Err(e) = app.notification().builder().title(title).body(body).show() {
        tracing::warn!(error = %e, "cannot show a notification");
    }
}

/// Opens the run in the window, or answers the permission request.
fn resolve(
    app: &AppHandle,
    engine: Option<Arc<Engine>>,
    action: Action,
    run_id: String,
    request: Option<String>,
) {
    use autowork_core::ids::BlockerId;
    use autowork_core::ledger::PermissionDecision;
    use tauri_specta::Event;
    let decision = match action {
        Action::Open => {
            crate::shell::show_main(app);
            let _ = crate::bindings::ShowRun { run_id }.emit(app);
            return;
        }
        Action::Approve => PermissionDecision::Once,
        Action::Deny => PermissionDecision::Reject,
    };
    let (Some(engine), Some(request)) = (engine, request) else {
        return;
    };
    tauri::async_runtime::spawn(async move {
        if let Err(e) = engine
            .reply_permission(&BlockerId::from(request.as_str()), decision, None)
            .await
        {
            tracing::warn!(error = %e, "could not answer from the notification");
        }
    });
}
