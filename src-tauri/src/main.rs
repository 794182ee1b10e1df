//! Autowork's desktop app: a thin Tauri shell over `autowork-core`. Commands call one engine
//! function each; the engine's events are forwarded to the window; notifications, the tray
//! and single-instance behaviour live here.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod bindings;
mod commands;
mod database;
mod health;
mod history;
mod logging;
mod native;
mod notifier;
mod providers;
mod queue;
mod retention;
mod shell;
mod state;
mod tray;

fn main() {
    autowork_core::sandbox::run_launcher_if_requested();
    // `autowork-app --export-bindings PATH` writes the TypeScript bindings and exits.
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some("--export-bindings") {
        let path = args.next().unwrap_or_else(|| "ui/src/bindings.ts".into());
        match bindings::export(std::path::Path::new(&path)) {
            Ok(()) => println!("wrote {path}"),
            Err(e) => {
                eprintln!("could not write the bindings: {e}");
                std::process::exit(1);
            }
        }
        return;
    }
    if let Err(e) = shell::run() {
        eprintln!("Autowork could not start: {e}");
        std::process::exit(1);
    }
}
