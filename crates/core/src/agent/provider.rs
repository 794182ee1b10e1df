//! Model providers: the request and response types the loop uses, provider settings, and
//! the HTTP plumbing (retries with backoff, timeouts) shared by the two wire formats.

mod anthropic;
pub mod keychain;
mod openai;
pub mod settings;
mod sse;

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;

use crate::agent::tools::ToolSpec;
use crate::definition::Variant;
use crate::executor::BoxFuture;

pub use settings::{ProviderConfig, ProviderKind, ProviderSettings};

/// A message of the conversation, as both wire formats need it.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatMessage {
    User(String),
    Assistant {
        text: String,
        tool_calls: Vec<ModelToolCall>,
    },
    /// Results of the previous assistant message's tool calls, in order.
    ToolResults(Vec<ToolResultMessage>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModelToolCall {
    pub id: String,
    pub name: String,
    pub arguments: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ToolResultMessage {
    pub tool_call_id: String,
    pub content: String,
    pub is_error: bool,
}

/// One model call.
pub struct ChatRequest<'a> {
    pub model: &'a str,
    pub system: &'a str,
    pub messages: &'a [ChatMessage],
    pub tools: &'a [ToolSpec],
    pub variant: Option<Variant>,
    pub max_tokens: u32,
}

/// What the model answered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatResponse {
    pub text: String,
    pub reasoning: String,
    pub tool_calls: Vec<ModelToolCall>,
    pub tokens_in: u64,
    pub tokens_out: u64,
}

/// Streamed pieces, passed to the caller as they arrive.
#[derive(Debug, Clone, PartialEq)]
pub enum Delta {
    Text(String),
    Reasoning(String),
}

/// Why a model call failed (after retries).
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("the provider answered {status}: {message}")]
    Http { status: u16, message: String },
    #[error("could not reach the provider at {url}: {message}")]
    Connection { url: String, message: String },
    #[error("the provider did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the provider sent something malformed: {0}")]
    Malformed(String),
    #[error("the stream ended before the model finished: {0}")]
    Cut(String),
    #[error("no API key: {0}")]
    MissingKey(String),
}

/// A model provider: one call, streamed. Dropping the future drops the connection.
pub trait Provider: Send + Sync {
    fn complete<'a>(
        &'a self,
        request: ChatRequest<'a>,
        on_delta: &'a (dyn Fn(Delta) + Send + Sync),
    ) -> BoxFuture<'a, Result<ChatResponse, ProviderError>>;
}

/// Limits of the HTTP exchange.
#[derive(Debug, Clone)]
pub struct HttpPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// The longest `retry-after` honoured.
    pub max_retry_after: Duration,
    /// Until the response headers arrive.
    pub request_timeout: Duration,
    /// Between two chunks of a stream.
    pub idle_timeout: Duration,
}

impl Default for HttpPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(60),
            request_timeout: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(120),
        }
    }
}

/// The provider's API key, read off the async runtime (the keychain blocks).
async fn api_key(config: &ProviderConfig) -> Result<Option<String>, ProviderError> {
    let config = config.clone();
    tokio::task::spawn_blocking(move || config.api_key())
        .await
        .map_err(|e| ProviderError::MissingKey(format!("reading the key failed: {e}")))?
}

/// Builds the client for a configured provider.
pub async fn connect(
    config: &ProviderConfig,
    http: reqwest::Client,
    policy: HttpPolicy,
) -> Result<Box<dyn Provider>, ProviderError> {
    let api_key = api_key(config).await?;
    let base_url = config.base_url.trim_end_matches('/').to_owned();
    Ok(match config.kind {
        ProviderKind::OpenaiCompatible => Box::new(openai::OpenAi {
            base_url,
            api_key,
            http,
            policy,
        }),
        ProviderKind::Anthropic => Box::new(anthropic::Anthropic {
            base_url,
            api_key,
            http,
            policy,
        }),
    })
}

/// The shared HTTP client (rustls). Cheap to clone.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("autowork/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// Sends a request, retrying 429, 5xx and connection failures with exponential backoff and
/// jitter (or the server's `retry-after`), and returns the first successful response.
pub(crate) async fn send_with_retries(
    policy: &HttpPolicy,
    url: &str,
    build: impl Fn() -> reqwest::RequestBuilder,
) -> Result<reqwest::Response, ProviderError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let last = attempt >= policy.max_attempts;
        let sent = tokio::time::timeout(policy.request_timeout, build().send()).await;
        let wait = match sent {
            Err(_) if last => return Err(ProviderError::Timeout(policy.request_timeout)),
            Err(_) => backoff(policy, attempt),
            Ok(Err(e)) if last || !(e.is_connect() || e.is_timeout() || e.is_request()) => {
                return Err(ProviderError::Connection {
                    url: url.to_owned(),
                    message: e.to_string(),
                })
            }
            Ok(Err(_)) => backoff(policy, attempt),
            Ok(Ok(response)) if response.status().is_success() => return Ok(response),
            Ok(Ok(response)) => {
                let status = response.status().as_u16();
                let retryable = status == 429 || status >= 500;
                let retry_after = retry_after(&response);
                if !retryable || last {
                    let body = response.text().await.unwrap_or_default();
                    return Err(ProviderError::Http {
                        status,
                        message: error_message(&body),
                    });
                }
                retry_after
                    .map(|d| d.min(policy.max_retry_after))
                    .unwrap_or_else(|| backoff(policy, attempt))
            }
        };
        tracing::info!(
            url,
            attempt,
            wait_ms = wait.as_millis() as u64,
            "retrying the provider"
        );
        tokio::time::sleep(wait).await;
    }
}

fn backoff(policy: &HttpPolicy, attempt: u32) -> Duration {
    let exponential = policy
        .base_backoff
        .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
        .min(policy.max_backoff);
    // Up to half again, at random, so many clients do not retry in step.
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let jitter = exponential.mul_f64((random % 1000) as f64 / 2000.0);
    exponential + jitter
}

fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get("retry-after")?.to_str().ok()?;
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| *s >= 0.0)
        .map(Duration::from_secs_f64)
}

/// The message inside a provider's JSON error body, else the body itself (shortened).
fn error_message(body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let message = parsed.as_ref().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.pointer("/message"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let text = message.unwrap_or_else(|| body.trim().to_owned());
    if text.is_empty() {
        "no details given".to_owned()
    } else {
        text.chars().take(500).collect()
    }
}

/// Reads an SSE response to its end, handing each event to `handle` (which returns true
/// when the stream is complete). Fails when the stream stalls or ends early.
pub(crate) async fn read_sse(
    response: reqwest::Response,
    policy: &HttpPolicy,
    mut handle: impl FnMut(sse::SseEvent) -> Result<bool, ProviderError>,
) -> Result<(), ProviderError> {
    let mut reader = sse::SseReader::default();
    let mut stream = response.bytes_stream();
    let mut received = 0usize;
    loop {
        let next = tokio::time::timeout(policy.idle_timeout, stream.next())
            .await
            .map_err(|_| ProviderError::Timeout(policy.idle_timeout))?;
        match next {
            Some(Ok(bytes)) => {
                received += bytes.len();
                for event in reader.push(&bytes) {
                    if handle(event)? {
                        return Ok(());
                    }
                }
            }
            Some(Err(e)) => {
                return Err(ProviderError::Cut(format!(
                    "the connection failed after {received} bytes: {e}"
                )))
            }
            None => {
                return Err(ProviderError::Cut(format!(
                    "the connection closed after {received} bytes without the final event"
                )))
            }
        }
    }
}

/// Parses the JSON text of a streamed tool call's arguments.
pub(crate) fn parse_arguments(tool: &str, text: &str) -> Result<Value, ProviderError> {
    if text.trim().is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_str(text).map_err(|e| {
        ProviderError::Malformed(format!(
            "the arguments of tool call `{tool}` are not valid JSON ({e}): {}",
            text.chars().take(200).collect::<String>()
        ))
    })
}

/// Checks that a provider answers with the configured key: lists its models. Returns how
/// many it offers.
pub async fn test_connection(
    config: &ProviderConfig,
    http: &reqwest::Client,
) -> Result<usize, ProviderError> {
    let api_key = config.api_key()?;
    let base = config.base_url.trim_end_matches('/');
    let url = match config.kind {
        ProviderKind::OpenaiCompatible => format!("{base}/models"),
        ProviderKind::Anthropic => format!("{}/v1/models", base.trim_end_matches("/v1")),
    };
    let policy = HttpPolicy {
        max_attempts: 1,
        request_timeout: Duration::from_secs(15),
        ..HttpPolicy::default()
    };
    let response = send_with_retries(&policy, &url, || {
        let builder = http.get(&url);
        match (&api_key, config.kind) {
            (Some(key), ProviderKind::OpenaiCompatible) => builder.bearer_auth(key),
            (Some(key), ProviderKind::Anthropic) => builder
                .header("x-api-key", key)
                .header("anthropic-version", "2023-06-01"),
            (None, _) => builder,
        }
    })
    .await?;
    let body: Value = response
        .json()
        .await
        .map_err(|e| ProviderError::Malformed(format!("the model list is not JSON: {e}")))?;
    Ok(body["data"].as_array().map_or(0, Vec::len))
}
