//! The store's layering: the store speaks only the plain types of `model` (plus ids and the
//! error), and `model` imports nothing that could import the store back. Scans the source
//! for `crate::` paths, so a new import across the line fails here, naming file and module.

use std::path::{Path, PathBuf};

/// The modules below the store, and what each file of theirs may import.
/// (`secrets` is a leaf: the store registers a team database's password for redaction.)
const LOWER: &[&str] = &["model", "ids", "error", "secrets"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The `.rs` files of a module: `name.rs` and everything under `name/`.
fn module_files(name: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let file = src().join(format!("{name}.rs"));
    if file.exists() {
        files.push(file);
    }
    let mut dirs = vec![src().join(name)];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The top-level modules a source file names with `crate::` (in `use` lines and in paths),
/// comments left out. `use crate::{a, b::c}` names `a` and `b`.
fn crate_imports(source: &str) -> Vec<String> {
    let code: String = source
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let ident = |text: &str| -> String {
        text.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut found = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue; // `$crate::`, `my_crate::`
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let (mut depth, mut item) = (0, String::new());
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.push(ident(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            found.push(ident(&item));
        } else {
            found.push(ident(rest));
        }
    }
    found.retain(|name| !name.is_empty());
    found
}

/// Every import of `modules`' files outside `allowed` (and outside their own module), as
/// `file: crate::module`.
fn violations(modules: &[&str], allowed: &[&str]) -> Vec<String> {
    let mut bad = Vec::new();
    for module in modules {
        let files = module_files(module);
        assert!(!files.is_empty(), "no source found for module `{module}`");
        for file in files {
            let source = std::fs::read_to_string(&file).unwrap();
            let name = file.strip_prefix(src()).unwrap().display().to_string();
            for import in crate_imports(&source) {
                if !allowed.contains(&import.as_str()) && import != *module {
                    bad.push(format!("{name}: crate::{import}"));
                }
            }
        }
    }
    bad.sort();
    bad.dedup();
    bad
}

#[test]
fn the_store_imports_only_the_plain_types() {
    let bad = violations(&["store"], LOWER);
    assert!(
        bad.is_empty(),
        "the store may import only from {LOWER:?}; move what it needs into `model`:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_plain_types_import_nothing_above_them() {
    let bad = violations(LOWER, LOWER);
    assert!(
        bad.is_empty(),
        "the modules below the store may import only from {LOWER:?}:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_scan_sees_grouped_and_inline_paths() {
    let source = "use crate::{ids::RunId, model::{run::Run, time}};\n\
                  // crate::engine in a comment\n\
                  fn f() -> crate::ledger::Run { $crate::x::y() }\n";
    assert_eq!(crate_imports(source), ["ids", "model", "ledger"]);
}
