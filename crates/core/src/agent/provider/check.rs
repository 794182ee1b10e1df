//! "Test connection": one request for the provider's model list with its key, and the
//! answer in plain words ("The provider refused the key (401)", "Could not reach
//! http://127.0.0.1:11434/v1: connection refused").

use std::error::Error as _;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::key::{self, KeySource};
use super::keychain::Keychain;
use super::{ProviderConfig, ProviderKind};

/// How long a test waits for the provider.
const TEST_TIMEOUT: Duration = Duration::from_secs(15);

/// What a connection test found.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConnectionTest {
    /// The provider answered with the key: it lists `models` models.
    Ok { models: u32 },
    /// `message` says what failed in plain words; `details` is the provider's or the
    /// network's own text, when there is any.
    Failed {
        message: String,
        details: Option<String>,
    },
}

impl ConnectionTest {
    fn failed(message: impl Into<String>, details: Option<String>) -> Self {
        Self::Failed {
            message: message.into(),
            details: details.map(|d| crate::secrets::redact(&d).into_owned()),
        }
    }
}

/// Checks that a provider answers with its key by listing its models. Never fails: a
/// failure is the outcome.
pub async fn test_connection(
    config: &ProviderConfig,
    keychain: std::sync::Arc<dyn Keychain>,
    http: &reqwest::Client,
) -> ConnectionTest {
    let owned = config.clone();
    let resolved =
        match tokio::task::spawn_blocking(move || key::resolve(&owned, keychain.as_ref())).await {
            Ok(resolved) => resolved,
            Err(e) => return ConnectionTest::failed("Reading the key failed", Some(e.to_string())),
        };
    if resolved.source == KeySource::Missing {
        let problem = resolved.problems.into_iter().next();
        let message = problem
            .as_ref()
            .map_or_else(|| "No API key yet".to_owned(), |p| p.message.clone());
        return ConnectionTest::failed(message, problem.and_then(|p| p.details));
    }
    let base = config.base_url.trim_end_matches('/');
    let url = match config.kind {
        ProviderKind::OpenaiCompatible => format!("{base}/models"),
        ProviderKind::Anthropic => format!("{}/v1/models", base.trim_end_matches("/v1")),
    };
    let mut request = http.get(&url).timeout(TEST_TIMEOUT);
    request = match (&resolved.key, config.kind) {
        (Some(key), ProviderKind::OpenaiCompatible) => request.bearer_auth(key),
        (Some(key), ProviderKind::Anthropic) => request
            .header("x-api-key", key)
            .header("anthropic-version", "2023-06-01"),
        (None, _) => request,
    };
    let response = match request.send().await {
        Ok(response) => response,
        Err(e) if e.is_timeout() => {
            return ConnectionTest::failed(
                format!(
                    "No answer from {base} within {} seconds",
                    TEST_TIMEOUT.as_secs()
                ),
                Some(chain(&e)),
            )
        }
        Err(e) => {
            return ConnectionTest::failed(
                format!("Could not reach {base}: {}", network_reason(&e)),
                Some(chain(&e)),
            )
        }
    };
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    if !(200..300).contains(&status) {
        let details = Some(format!("{url} answered {status}: {}", excerpt(&body)));
        return ConnectionTest::failed(status_message(status, base), details);
    }
    match serde_json::from_str::<Value>(&body) {
        Ok(list) if list["data"].is_array() => ConnectionTest::Ok {
            models: list["data"]
                .as_array()
                .map_or(0, |models| u32::try_from(models.len()).unwrap_or(u32::MAX)),
        },
        _ => ConnectionTest::failed(
            format!("{base} answered, but not with a list of models: check the base URL"),
            Some(format!("{url}: {}", excerpt(&body))),
        ),
    }
}

/// What an error status means for the person testing.
fn status_message(status: u16, base: &str) -> String {
    match status {
        401 | 403 => format!("The provider refused the key ({status})"),
        404 => format!("Nothing answers at {base} ({status}): check the base URL"),
        429 => format!(
            "The provider is limiting requests ({status}); the key may be fine, try again in a minute"
        ),
        500..=599 => format!("The provider had an error ({status}); try again later"),
        _ => format!("The provider answered {status}"),
    }
}

/// The innermost cause of a failed request, in a few words: "connection refused", "the
/// name could not be resolved".
fn network_reason(e: &reqwest::Error) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = e.source();
    let mut innermost = None;
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return "connection refused".into(),
                std::io::ErrorKind::ConnectionReset => return "the connection was reset".into(),
                std::io::ErrorKind::TimedOut => return "the connection timed out".into(),
                _ => {}
            }
        }
        innermost = Some(cause.to_string());
        source = cause.source();
    }
    let text = innermost.unwrap_or_else(|| e.to_string());
    let lower = text.to_lowercase();
    if lower.contains("dns") || lower.contains("failed to lookup") || lower.contains("resolve") {
        "the name could not be resolved".into()
    } else if lower.contains("certificate") || lower.contains("tls") {
        format!("the secure connection failed ({text})")
    } else {
        text
    }
}

/// Every cause of `e`, outermost first.
fn chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn excerpt(body: &str) -> String {
    let body = body.trim();
    if body.is_empty() {
        return "(no body)".into();
    }
    body.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::provider::keychain::NoKeychain;
    use std::sync::Arc;

    fn config(base_url: String) -> ProviderConfig {
        ProviderConfig {
            id: "local".into(),
            kind: ProviderKind::OpenaiCompatible,
            base_url,
            api_key_env: None,
            api_key_in_keychain: false,
            api_key_file: None,
            models: Vec::new(),
        }
    }

    #[tokio::test]
    async fn an_unreachable_server_is_named_with_the_plain_reason() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let base = format!("http://127.0.0.1:{port}/v1");
        let outcome = test_connection(
            &config(base.clone()),
            Arc::new(NoKeychain),
            &reqwest::Client::new(),
        )
        .await;
        match outcome {
            ConnectionTest::Failed { message, details } => {
                assert_eq!(
                    message,
                    format!("Could not reach {base}: connection refused")
                );
                assert!(details.is_some());
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_provider_without_its_key_is_not_asked() {
        let mut config = config("http://127.0.0.1:9/v1".into());
        config.api_key_env = Some("AUTOWORK_CHECK_TEST_NEVER_SET".into());
        let outcome = test_connection(&config, Arc::new(NoKeychain), &reqwest::Client::new()).await;
        assert_eq!(
            outcome,
            ConnectionTest::Failed {
                message: "No API key yet: paste one under Settings -> Providers or set \
                          $AUTOWORK_CHECK_TEST_NEVER_SET"
                    .into(),
                details: None,
            }
        );
    }

    #[test]
    fn statuses_read_as_what_to_do() {
        assert_eq!(
            status_message(401, "https://api.openai.com/v1"),
            "The provider refused the key (401)"
        );
        assert_eq!(
            status_message(404, "http://x/v1"),
            "Nothing answers at http://x/v1 (404): check the base URL"
        );
    }
}
