//! Sandbox benchmark: prints figures, asserts nothing.
//! `cargo bench -p autowork-core --bench sandbox`.
//!
//! - `/bin/true` spawned directly vs through the launcher (200 each, interleaved), with a
//!   realistic policy: a work area with `.git`, the default secrets under `$HOME` hidden,
//!   network off. The difference is the launcher's set-up (namespace, Landlock, seccomp)
//!   plus its second `exec`, shown for scale by `sh -c /bin/true`.
//! - the one-time support probe

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsStr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use autowork_core::sandbox::{self, Launcher, SandboxPolicy};

const SAMPLES: usize = 200;

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

async fn time(mut command: tokio::process::Command) -> Duration {
    let start = Instant::now();
    let status = command.status().await.unwrap();
    assert!(status.success(), "{status}");
    start.elapsed()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir_all(work.join(".git")).unwrap();
    std::fs::create_dir_all(dir.path().join("temp")).unwrap();
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap();
    let policy = SandboxPolicy {
        work_area: work.clone(),
        temp_dir: dir.path().join("temp"),
        writable: Vec::new(),
        hidden: SandboxPolicy::default_hidden(&home, &home.join(".local/share/autowork")),
        network: false,
    };
    let launcher = Launcher::new(env!("CARGO_BIN_EXE_autowork-sandbox"));

    let start = Instant::now();
    let support = sandbox::init_support(&launcher);
    let probe = start.elapsed();

    // Without `.git` there is no mount namespace to enter (and tear down at exit).
    let plain_dir = dir.path().join("plain");
    std::fs::create_dir_all(&plain_dir).unwrap();
    let without_git = SandboxPolicy {
        work_area: plain_dir.clone(),
        ..policy.clone()
    };
    let (mut direct, mut with_git, mut no_git, mut shell) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..SAMPLES {
        let mut plain = tokio::process::Command::new("/bin/true");
        plain.current_dir(&work);
        direct.push(time(plain).await);
        let mut wrapped = launcher.command(&policy, OsStr::new("/bin/true"), &[]);
        wrapped.current_dir(&work);
        with_git.push(time(wrapped).await);
        let mut wrapped = launcher.command(&without_git, OsStr::new("/bin/true"), &[]);
        wrapped.current_dir(&plain_dir);
        no_git.push(time(wrapped).await);
        // For scale: what one more `exec` costs on this machine.
        let mut sh = tokio::process::Command::new("/bin/sh");
        sh.args(["-c", "/bin/true"]).current_dir(&work);
        shell.push(time(sh).await);
    }
    let d50 = percentile(&mut direct, 0.50);
    let d99 = percentile(&mut direct, 0.99);

    println!("support: {support:?}");
    println!(
        "{:<52} p50 {:>7.3} ms   p99 {:>7.3} ms   (n = {SAMPLES})",
        "spawn /bin/true directly",
        ms(d50),
        ms(d99)
    );
    for (name, samples) in [
        (
            "launcher set-up, work area with .git (namespace)",
            &mut with_git,
        ),
        ("launcher set-up, work area without .git", &mut no_git),
        ("for scale: `sh -c /bin/true` (one more exec)", &mut shell),
    ] {
        let (p50, p99) = (percentile(samples, 0.50), percentile(samples, 0.99));
        println!(
            "{name:<52} p50 {:>7.3} ms   p99 {:>7.3} ms   extra over direct; target < 5 ms",
            ms(p50.saturating_sub(d50)),
            ms(p99.saturating_sub(d99))
        );
    }
    println!(
        "{:<52} {:>11.3} ms   once per process",
        "support probe",
        ms(probe)
    );
}
