//! Permission benchmark: prints figures, asserts nothing.
//! `cargo bench -p autowork-core --bench permissions`.
//!
//! Parse + decide for one bash call (tree-sitter-bash parse, wrapper unwrapping, matching
//! every command against 24 rules), p50/p99 over many calls of each shape.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use autowork_core::agent::permissions::decide_bash;
use autowork_core::definition::{PermissionAction, PermissionRule};

const TARGET_P99: Duration = Duration::from_micros(50);
const ROUNDS: usize = 20_000;

fn rules() -> Vec<PermissionRule> {
    let mut rules = vec![PermissionRule::path(
        "*",
        "vendor/*",
        PermissionAction::Deny,
    )];
    for words in [
        &["git", "status"][..],
        &["git", "diff"],
        &["git", "log"],
        &["cargo", "test"],
        &["cargo", "build"],
        &["cargo", "fmt"],
        &["cargo", "clippy"],
        &["npm", "test"],
        &["npm", "run", "lint"],
        &["ls"],
        &["cat"],
        &["grep"],
        &["rg"],
        &["wc"],
        &["head"],
        &["tail"],
        &["make", "test"],
        &["pytest"],
        &["go", "test"],
        &["find"],
    ] {
        rules.push(PermissionRule::command(
            words.iter().copied(),
            PermissionAction::Allow,
        ));
    }
    rules.push(PermissionRule::command(["rm"], PermissionAction::Deny));
    rules.push(PermissionRule::command(
        ["git", "push"],
        PermissionAction::Deny,
    ));
    rules.push(PermissionRule::command(["curl"], PermissionAction::Ask));
    rules
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let rules = rules();
    let shapes = [
        ("one plain command", "cargo test --all -- --nocapture"),
        (
            "four commands chained",
            "cargo fmt && cargo clippy -- -D warnings && cargo test 2>&1 | tail -n 50",
        ),
        (
            "wrappers and sh -c",
            "timeout 600 nice -n 5 sh -c 'cargo build --release && git status --short'",
        ),
        (
            "opaque",
            "for f in $(git ls-files); do wc -l \"$f\"; done > counts.txt",
        ),
        (
            "find -exec",
            r"find . -name '*.rs' -not -path './target/*' -exec wc -l {} \;",
        ),
    ];
    println!("parse + decide per bash call, {ROUNDS} calls per shape, 24 rules");
    let mut worst = Duration::ZERO;
    for (name, script) in shapes {
        // Warm up (first parse loads the grammar); the target is per command.
        let commands = decide_bash(&rules, script).commands.len().max(1) as u32;
        let mut times = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let start = Instant::now();
            let decision = decide_bash(&rules, script);
            times.push(start.elapsed());
            std::hint::black_box(decision);
        }
        times.sort();
        let (p50, p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
        worst = worst.max(p99 / commands);
        println!(
            "  {name:<24} per call p50 {:>6.1} µs  p99 {:>6.1} µs   per command ({commands}) p50 {:>5.1} µs  p99 {:>5.1} µs",
            micros(p50),
            micros(p99),
            micros(p50 / commands),
            micros(p99 / commands)
        );
    }
    println!(
        "worst p99 per command {:.1} µs (target < {} µs): {}",
        micros(worst),
        TARGET_P99.as_micros(),
        if worst < TARGET_P99 { "met" } else { "MISSED" }
    );
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
