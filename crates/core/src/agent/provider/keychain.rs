//! API keys in the OS keychain (Secret Service on Linux, Keychain on macOS, Credential
//! Manager on Windows), under the service `autowork` and the provider's id.
//!
//! The keychain is a [`Keychain`] so tests (and `AUTOWORK_NO_KEYCHAIN`, for machines where
//! no keychain service runs and asking one only costs time) can stand in for the OS one.

use std::sync::Arc;

const SERVICE: &str = "autowork";

/// Set (to anything but `0` or empty) to never ask the OS keychain: keys then go to files
/// in the data directory. For headless machines and tests.
pub const NO_KEYCHAIN_VAR: &str = "AUTOWORK_NO_KEYCHAIN";

/// Why the keychain could not do what was asked: `reason` in plain words for people,
/// `details` the platform's own text (D-Bus errors and the like), for a details field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct KeychainError {
    pub reason: String,
    pub details: String,
}

/// Where provider keys can be kept outside Autowork's files. Every call may block.
pub trait Keychain: Send + Sync + std::fmt::Debug {
    /// Stores (or replaces) a provider's key.
    fn store(&self, provider_id: &str, key: &str) -> Result<(), KeychainError>;
    /// The stored key, `None` when there is none.
    fn load(&self, provider_id: &str) -> Result<Option<String>, KeychainError>;
    /// Forgets a provider's key; fine when there was none.
    fn delete(&self, provider_id: &str) -> Result<(), KeychainError>;
}

/// The keychain to use: the OS one, unless [`NO_KEYCHAIN_VAR`] turns it off.
pub fn system() -> Arc<dyn Keychain> {
    match std::env::var(NO_KEYCHAIN_VAR) {
        Ok(value) if !value.is_empty() && value != "0" => Arc::new(NoKeychain),
        _ => Arc::new(OsKeychain),
    }
}

/// The operating system's keychain, through `keyring`.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsKeychain;

fn entry(provider_id: &str) -> Result<keyring::Entry, keyring::Error> {
    keyring::Entry::new(SERVICE, provider_id)
}

/// The plain-words reason for a keychain failure; the platform text goes to `details`.
fn plain(e: keyring::Error) -> KeychainError {
    let reason = match &e {
        keyring::Error::PlatformFailure(_) if cfg!(target_os = "linux") => {
            "No keychain service is running"
        }
        keyring::Error::PlatformFailure(_) => "The system keychain is not available",
        keyring::Error::NoStorageAccess(_) => "The system keychain is locked or refused access",
        _ => "The system keychain could not handle the key",
    };
    KeychainError {
        reason: reason.into(),
        details: e.to_string(),
    }
}

impl Keychain for OsKeychain {
    fn store(&self, provider_id: &str, key: &str) -> Result<(), KeychainError> {
        entry(provider_id)
            .and_then(|e| e.set_password(key))
            .map_err(plain)
    }

    fn load(&self, provider_id: &str) -> Result<Option<String>, KeychainError> {
        match entry(provider_id).and_then(|e| e.get_password()) {
            Ok(key) => Ok(Some(key)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(plain(e)),
        }
    }

    fn delete(&self, provider_id: &str) -> Result<(), KeychainError> {
        match entry(provider_id).and_then(|e| e.delete_credential()) {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(plain(e)),
        }
    }
}

/// No keychain at all: every call fails as an unavailable keychain would.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoKeychain;

impl NoKeychain {
    fn refused() -> KeychainError {
        KeychainError {
            reason: "The system keychain is turned off".into(),
            details: format!("{NO_KEYCHAIN_VAR} is set"),
        }
    }
}

impl Keychain for NoKeychain {
    fn store(&self, _: &str, _: &str) -> Result<(), KeychainError> {
        Err(Self::refused())
    }

    fn load(&self, _: &str) -> Result<Option<String>, KeychainError> {
        Err(Self::refused())
    }

    fn delete(&self, _: &str) -> Result<(), KeychainError> {
        Err(Self::refused())
    }
}
