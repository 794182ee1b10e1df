//! The engine's behaviour across modules, against real SQLite files in temp dirs. One test
//! binary (each extra binary costs a link); one module per behaviour.

// Test code: a failed unwrap is a failed test. (clippy's allow-unwrap-in-tests covers only
// `#[test]` functions, not the fixtures they share.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod suite;
