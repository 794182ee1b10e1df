//! `autowork-sandbox`: the sandbox launcher on its own, for core's tests and benches (the
//! CLI and the app are their own launcher). See `autowork_core::sandbox`.

fn main() {
    autowork_core::sandbox::run_launcher_if_requested();
    eprintln!(
        "usage: autowork-sandbox {} <policy-json> -- <command> [args...]",
        autowork_core::sandbox::LAUNCHER_ARG
    );
    std::process::exit(2);
}
