//! Building and running the app: plugins, the engine, event forwarding, window behaviour.

use std::sync::{Arc, Mutex};

use autowork_core::agent::Agent;
use autowork_core::events::Event as EngineChange;
use autowork_core::settings::AppSettings;
use autowork_core::store::location::{StoreLocation, STORE_ENV};
use autowork_core::{Engine, EngineConfig};
use tauri::{AppHandle, Manager, WindowEvent};
use tauri_plugin_autostart::MacosLauncher;
use tauri_specta::Event;
use tokio::sync::broadcast::error::RecvError;

use crate::bindings::{self, CloseRequested, EngineEvent, Resync};
use crate::notifier::DesktopNotifier;
use crate::state::{self, AppState};
use crate::{logging, tray};

/// Keeps the log file writer alive for the life of the app.
struct LogGuard(#[allow(dead_code)] Option<tracing_appender::non_blocking::WorkerGuard>);

pub fn run() -> Result<(), String> {
    lean_webview();
    let data_dir = state::data_dir().ok_or("no data directory was found; set AUTOWORK_DATA_DIR")?;
    let bindings = bindings::builder();
    let notifier = Arc::new(DesktopNotifier::default());
    let invoke = bindings.invoke_handler();
    tauri::Builder::default()
        // First, so a second launch only focuses this one (two instances must never both
        // drive the same ledger's schedule).
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            show_main(app)
        }))
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_autostart::init(
            MacosLauncher::LaunchAgent,
            None,
        ))
        .invoke_handler(invoke)
        .setup(move |app| {
            bindings.mount_events(app);
            let log_dir = app.path().app_log_dir()?;
            app.manage(LogGuard(logging::init(&log_dir)));
            tracing::info!(data_dir = %data_dir.display(), "starting Autowork");
            let focused_run = Arc::new(Mutex::new(None));
            notifier.attach(app.handle().clone(), data_dir.clone(), focused_run.clone());
            // AUTOWORK_STORE wins over Settings → Database, as for the CLI.
            let saved = AppSettings::load(&data_dir)?.store;
            let store =
                StoreLocation::chosen(std::env::var(STORE_ENV).ok().as_deref(), saved.as_deref())?;
            let config = |store: StoreLocation| {
                EngineConfig::new(&data_dir)
                    .store(store)
                    .label("app")
                    .executor(Arc::new(Agent::new(&data_dir)))
                    .notifier(notifier.clone())
                    .scheduler(true)
                    // On a team database the app runs the automations whose folders this
                    // computer has, queued from any machine.
                    .takes_queued_runs(true)
            };
            let (engine, store, store_error) =
                match tauri::async_runtime::block_on(Engine::open(config(store.clone()))) {
                    Ok(engine) => (engine, store, None),
                    // An unreachable team database must not keep the app from opening: it
                    // opens this computer's database and Settings → Database says why, where
                    // the user can fix the URL or the password and restart.
                    Err(e) if store != StoreLocation::ThisComputer => {
                        let why = autowork_core::secrets::redact(&e.to_string()).into_owned();
                        tracing::warn!(error = %why, "cannot open the team database; using this computer's");
                        let local = StoreLocation::ThisComputer;
                        let engine =
                            tauri::async_runtime::block_on(Engine::open(config(local.clone())))?;
                        (engine, local, Some(why))
                    }
                    Err(e) => return Err(e.into()),
                };
            let engine = Arc::new(engine);
            notifier.set_engine(engine.clone());
            app.manage(AppState {
                engine: engine.clone(),
                data_dir: data_dir.clone(),
                log_dir,
                store,
                store_error,
                focused_run,
            });
            if let Err(e) = tray::create(app) {
                tracing::warn!(error = %e, "no tray icon");
            }
            tauri::async_runtime::spawn(crate::health::forward(app.handle().clone(), engine.clone()));
            tauri::async_runtime::spawn(forward_events(app.handle().clone(), engine));
            Ok(())
        })
        .on_window_event(|window, event| {
            if let WindowEvent::CloseRequested { api, .. } = event {
                // Closing keeps the app in the tray (schedules keep firing); the first time,
                // the window explains this and offers start at login.
                api.prevent_close();
                let app = window.app_handle();
                let hint_shown = app
                    .try_state::<AppState>()
                    .and_then(|s| AppSettings::load(&s.data_dir).ok())
                    .is_some_and(|s| s.tray_hint_shown);
                if hint_shown {
                    let _ = put_away(window);
                } else if let Err(e) = CloseRequested.emit(app) {
                    tracing::warn!(error = %e, "cannot ask the window about closing");
                    let _ = put_away(window);
                }
            }
        })
        .run(tauri::generate_context!())
        .map_err(|e| e.to_string())
}

/// How the web view runs, unless the user's environment says otherwise (a variable already
/// set is kept: `WEBKIT_DISABLE_COMPOSITING_MODE=0` turns compositing back on,
/// `JSC_useDFGJIT=1` the optimizing JIT). Called first, before any thread starts: the web
/// processes inherit the environment. Figures from the desktop benchmark under Xvfb.
///
/// - WebKit paints the window on the CPU instead of compositing its layers with OpenGL. The
///   views are text, lists and two small charts: nothing a GPU speeds up, while the GL
///   compositor costs the web process about 85 MiB and, where OpenGL itself runs on the CPU
///   (no GPU, a virtual display, some remote desktops), makes frames several times slower
///   (idle PSS 361 -> 277 MiB, p95 frame time while a run streams 138 -> 26 ms).
/// - JavaScriptCore stops at its baseline JIT: the optimizing tiers (DFG, FTL) kept about
///   14 MiB of compiled code and their data in the web process for a UI whose scripts are
///   short event handlers and renders (idle PSS 275 -> 262 MiB, no figure got slower).
///   The baseline JIT stays: without any JIT (`JSC_useJIT=0`) the web process was 6 MiB
///   smaller (idle PSS 256 -> 249 MiB as a user launches it), but the page interprets every
///   streamed token's render: p95 frame time 27 and 36 ms (over the 33 ms target) against
///   22-33 ms with it, and the first paint 383-499 ms against 313-370 ms.
/// - While compositing is off, no DMA-BUF renderer either: it only carries composited frames
///   from the web process to the window, yet the app's process still set it up with Mesa
///   (about 3.5 MiB of that process: idle PSS 255 -> 251 MiB). Left alone when compositing
///   is on, where it is how frames reach the window from a GPU.
fn lean_webview() {
    for (var, value) in [
        ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
        ("JSC_useDFGJIT", "0"),
    ] {
        if std::env::var_os(var).is_none() {
            std::env::set_var(var, value);
        }
    }
    // WebKit reads any value but "0" as "off".
    let compositing_off =
        std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_some_and(|v| v != "0");
    if compositing_off && std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_none() {
        std::env::set_var("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
    }
}

/// Closing the window keeps the app running: hidden behind the tray icon, or minimized
/// where no tray host shows the icon (hiding would leave no way back but a second launch).
pub fn put_away(window: &tauri::Window) -> tauri::Result<()> {
    if crate::native::tray_host_available() {
        window.hide()
    } else {
        tracing::info!("no tray host on this desktop: minimizing instead of hiding");
        window.minimize()
    }
}

/// Shows, unminimizes and focuses the main window.
pub fn show_main(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}

/// Closes runs in flight (as a crash would), then exits.
pub async fn quit(app: &AppHandle) {
    if let Some(state) = app.try_state::<AppState>() {
        state.engine.shutdown().await;
    }
    app.exit(0);
}

/// Forwards every engine event to the window and keeps the tray's count current.
async fn forward_events(app: AppHandle, engine: Arc<Engine>) {
    let mut events = engine.subscribe();
    tray::refresh(&app, &engine).await;
    loop {
        match events.recv().await {
            Ok(record) => {
                // Runs change the waiting list; automations change the next fire.
                let run_changed = matches!(
                    record.event,
                    EngineChange::RunUpdated(_)
                        | EngineChange::AutomationUpdated(_)
                        | EngineChange::AutomationDeleted { .. }
                );
                if let Err(e) = EngineEvent(record).emit(&app) {
                    tracing::warn!(error = %e, "cannot forward an event to the window");
                }
                if run_changed {
                    tray::refresh(&app, &engine).await;
                }
            }
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(
                    missed,
                    "the window fell behind the event stream; asking it to reload"
                );
                let _ = Resync.emit(&app);
                tray::refresh(&app, &engine).await;
            }
            Err(RecvError::Closed) => return,
        }
    }
}
