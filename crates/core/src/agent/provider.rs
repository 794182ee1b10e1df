//! Model providers: the request and response types the loop uses, provider settings, and
//! the HTTP plumbing (retries with backoff, timeouts; in `exchange`) shared by the two wire
//! formats.

mod anthropic;
pub mod check;
mod exchange;
pub mod key;
pub mod keychain;
pub mod keyfile;
mod loose;
mod openai;
pub mod settings;
mod sse;
pub mod status;
mod usage;
mod wire;

use std::time::Duration;

use serde_json::Value;

use crate::agent::tools::ToolSpec;
use crate::definition::Variant;
use crate::executor::BoxFuture;
use crate::ledger::ErrorCode;

pub use crate::error::ProviderError;
pub use check::{test_connection, ConnectionTest};
pub use key::{KeyProblem, KeySource, KeyStorage, ProblemCode};
pub use settings::{ProviderConfig, ProviderKind, ProviderSettings};
pub use status::{ProviderSource, ProviderStatus};
pub use usage::MAX_TOKENS_PER_CALL;

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
    /// At most [`MAX_TOKENS_PER_CALL`] each.
    pub tokens_in: u64,
    pub tokens_out: u64,
    /// Why the token counts are estimates, when the provider's could not be right and were
    /// clamped; the loop notes it in the transcript.
    pub usage_note: Option<String>,
}

/// Streamed pieces, passed to the caller as they arrive.
#[derive(Debug, Clone, PartialEq)]
pub enum Delta {
    Text(String),
    Reasoning(String),
    /// An attempt failed and another follows after `wait`: what the window shows as
    /// "retrying (2 of 4): rate limited" while it waits.
    Retrying {
        /// The attempt about to start (2 for the first retry).
        attempt: u32,
        max_attempts: u32,
        reason: String,
        wait: Duration,
    },
}

impl ProviderError {
    /// The code a run fails with when a model call ends on this error.
    pub fn error_code(&self) -> ErrorCode {
        match self {
            Self::Truncated(_) => ErrorCode::OutputTruncated,
            _ => ErrorCode::ProviderError,
        }
    }

    /// A few plain words for a retry notice: "rate limited", "the provider is overloaded
    /// (503)", "the connection failed".
    pub fn short_reason(&self) -> String {
        match self {
            Self::Http { status: 429, .. } => "rate limited".into(),
            Self::Http { status: 529, .. } => "the provider is overloaded (529)".into(),
            Self::Http { status, .. } if *status >= 500 => {
                format!("the provider had an error ({status})")
            }
            Self::Http { status, .. } => format!("the provider answered {status}"),
            Self::Connection { .. } => "the connection failed".into(),
            Self::Timeout(_) => "no answer in time".into(),
            Self::Cut(_) => "the stream was cut".into(),
            Self::Malformed(_) => "a malformed answer".into(),
            Self::MissingKey(_) => "no API key".into(),
            Self::Stalled { .. } => "the provider stalled".into(),
            Self::StepTimeout(_) => "the step took too long".into(),
            Self::Truncated(_) => "the answer was cut at its length limit".into(),
        }
    }
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
    /// Until the response headers arrive, per attempt.
    pub request_timeout: Duration,
    /// Between two chunks of a stream.
    pub idle_timeout: Duration,
    /// How long one model call may wait on a provider that does not answer, all attempts
    /// and the pauses between them together: waits for headers and a stream's first bytes,
    /// stalls, backoff. Time while a stream delivers does not count (`step_timeout` bounds
    /// that). Past it the call fails with [`ProviderError::Stalled`].
    pub call_deadline: Duration,
    /// The longest one model call may take from request to its last event, however
    /// steadily data arrives (a stream that trickles forever). Past it the call fails with
    /// [`ProviderError::StepTimeout`].
    pub step_timeout: Duration,
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
            call_deadline: Duration::from_secs(5 * 60),
            step_timeout: Duration::from_secs(10 * 60),
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
            encoded: Default::default(),
        }),
        ProviderKind::Anthropic => Box::new(anthropic::Anthropic {
            base_url,
            api_key,
            http,
            policy,
            encoded: Default::default(),
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

/// Appends a streamed text fragment, moving it in when it is the first: a big tool call's
/// arguments often arrive in one event, and copying them again would double the work.
pub(crate) fn append(target: &mut String, fragment: std::borrow::Cow<'_, str>) {
    match fragment {
        std::borrow::Cow::Owned(text) if target.is_empty() => *target = text,
        text => target.push_str(&text),
    }
}

/// A tool call as streamed, before its arguments are parsed.
pub(crate) struct StreamedCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

/// The answer of a stream that ended with its final event: tool calls parsed, token counts
/// checked. `truncated` says the output limit ended it; then an answer with nothing usable,
/// or with a tool call whose arguments were cut off, fails [`ProviderError::Truncated`]
/// rather than run half a call or end the run with an empty result.
pub(crate) fn complete_answer(
    mut response: ChatResponse,
    calls: Vec<StreamedCall>,
    truncated: bool,
    counts: usage::TokenCounts,
) -> Result<ChatResponse, ProviderError> {
    for call in calls {
        let arguments = match parse_arguments(&call.name, &call.arguments) {
            Ok(arguments) => arguments,
            Err(_) if truncated => {
                return Err(ProviderError::Truncated(format!(
                    "in the middle of the arguments of tool call `{}`, so it was not run",
                    call.name
                )))
            }
            Err(e) => return Err(e),
        };
        response.tool_calls.push(ModelToolCall {
            id: call.id,
            name: call.name,
            arguments,
        });
    }
    if truncated && response.text.trim().is_empty() && response.tool_calls.is_empty() {
        return Err(ProviderError::Truncated(
            "before it gave an answer or called a tool".into(),
        ));
    }
    response.usage_note = counts.into_note();
    Ok(response)
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
