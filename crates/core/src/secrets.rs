//! Secrets the engine knows (API keys from the keychain and the environment, database
//! passwords) and their redaction wherever text is stored, emitted, logged or sent back to
//! the model: transcripts, run results and errors, events, logs.
//!
//! A secret is registered the moment the engine reads it, so no text derived from it later
//! can carry it out. Redaction replaces each known secret with [`REDACTED`].

use std::borrow::Cow;
use std::io::{self, Write};
use std::sync::RwLock;

/// What a secret becomes in any text the engine keeps or shows.
pub const REDACTED: &str = "[redacted]";

/// Shorter values are not treated as secrets: redacting them would mangle ordinary text.
const MIN_SECRET_LEN: usize = 8;

static KNOWN: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Remembers `secret` (trimmed) for redaction from now on. Short values are ignored.
pub fn register(secret: &str) {
    let secret = secret.trim();
    if secret.len() < MIN_SECRET_LEN {
        return;
    }
    if let Ok(mut known) = KNOWN.write() {
        if !known.iter().any(|k| k == secret) {
            known.push(secret.to_owned());
            // Longest first, so a secret that contains another is replaced whole.
            known.sort_by_key(|k| std::cmp::Reverse(k.len()));
        }
    }
}

/// Registers the values of these environment variables, where set.
pub fn register_env<'a>(names: impl IntoIterator<Item = &'a str>) {
    for name in names {
        if let Ok(value) = std::env::var(name) {
            register(&value);
        }
    }
}

/// `text` with every known secret replaced by [`REDACTED`].
pub fn redact(text: &str) -> Cow<'_, str> {
    let Ok(known) = KNOWN.read() else {
        return Cow::Borrowed(text);
    };
    let mut out = Cow::Borrowed(text);
    for secret in known.iter() {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), REDACTED));
        }
    }
    out
}

/// Redacts `text` where it stands.
pub fn redact_in_place(text: &mut String) {
    if let Cow::Owned(clean) = redact(text) {
        *text = clean;
    }
}

/// Redacts the strings inside a JSON value (tool call arguments), keys included.
pub fn redact_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(text) => redact_in_place(text),
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        serde_json::Value::Object(map) => {
            let entries: Vec<(String, serde_json::Value)> = std::mem::take(map)
                .into_iter()
                .map(|(mut key, mut value)| {
                    redact_in_place(&mut key);
                    redact_json(&mut value);
                    (key, value)
                })
                .collect();
            map.extend(entries);
        }
        _ => {}
    }
}

/// A writer that redacts known secrets from each line before passing it on: the log
/// writer of the CLI and the app (`tracing_subscriber::fmt().with_writer(...)`).
pub struct RedactingWriter<W: Write> {
    inner: W,
    line: Vec<u8>,
}

impl<W: Write> RedactingWriter<W> {
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            line: Vec::new(),
        }
    }

    fn flush_line(&mut self) -> io::Result<()> {
        if self.line.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.line);
        let clean = redact(&text).into_owned();
        self.line.clear();
        self.inner.write_all(clean.as_bytes())
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        for chunk in bytes.split_inclusive(|b| *b == b'\n') {
            self.line.extend_from_slice(chunk);
            if chunk.ends_with(b"\n") {
                self.flush_line()?;
            }
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_line()?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_secrets_are_redacted_everywhere_and_short_values_never() {
        register("sk-test-0123456789abcdef");
        register("short");
        assert_eq!(
            redact("Incorrect API key provided: sk-test-0123456789abcdef."),
            "Incorrect API key provided: [redacted]."
        );
        assert_eq!(redact("a short note"), "a short note");
        let mut args = serde_json::json!({"command": "echo sk-test-0123456789abcdef", "n": 1});
        redact_json(&mut args);
        assert_eq!(
            args,
            serde_json::json!({"command": "echo [redacted]", "n": 1})
        );
    }

    #[test]
    fn the_log_writer_redacts_whole_lines_even_when_written_in_pieces() {
        register("pw-9876543210-secret");
        let mut out = Vec::new();
        {
            let mut writer = RedactingWriter::new(&mut out);
            writer.write_all(b"connecting with pw-98765").unwrap();
            writer.write_all(b"43210-secret now\nnext line\n").unwrap();
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "connecting with [redacted] now\nnext line\n"
        );
    }
}
