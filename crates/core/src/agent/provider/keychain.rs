//! API keys in the OS keychain (Secret Service on Linux, Keychain on macOS, Credential
//! Manager on Windows), under the service `autowork` and the provider's id.

use crate::error::{Error, Result};

const SERVICE: &str = "autowork";

fn entry(provider_id: &str) -> Result<keyring::Entry, keyring::Error> {
    keyring::Entry::new(SERVICE, provider_id)
}

fn unavailable(e: keyring::Error) -> Error {
    Error::Io {
        context: "the OS keychain is unavailable".into(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// Stores (or replaces) a provider's key. Blocking: call from a blocking context.
pub fn store(provider_id: &str, key: &str) -> Result<()> {
    entry(provider_id)
        .and_then(|e| e.set_password(key))
        .map_err(unavailable)
}

/// The stored key, `None` when there is none. Blocking.
pub fn load(provider_id: &str) -> Result<Option<String>, keyring::Error> {
    match entry(provider_id).and_then(|e| e.get_password()) {
        Ok(key) => Ok(Some(key)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Forgets a provider's key; fine when there was none. Blocking.
pub fn delete(provider_id: &str) -> Result<()> {
    match entry(provider_id).and_then(|e| e.delete_credential()) {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(unavailable(e)),
    }
}
