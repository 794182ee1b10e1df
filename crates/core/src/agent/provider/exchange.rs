//! One model call over HTTP: its attempts with backoff, the stream each attempt reads, and
//! the limits that end a call which will not finish.
//!
//! An attempt is retried when another may succeed: 429 and 5xx answers, connection
//! failures, and a stream cut short (dropped, or ended without its final event). Nothing of
//! a cut attempt is kept: its parser is dropped and the next attempt starts afresh, so no
//! tool call of a half-received step ever runs.

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;
use tokio::time::Instant;

use super::sse::SseReader;
use super::{ChatResponse, Delta, HttpPolicy, ProviderError};

/// Reads one attempt's stream: the data of each event in, the model's answer out.
pub(crate) trait StreamParser: Default {
    /// Handles one event; true once the answer is complete.
    fn event(
        &mut self,
        data: &str,
        on_delta: &(dyn Fn(Delta) + Send + Sync),
    ) -> Result<bool, ProviderError>;

    /// The answer once the stream is over; [`ProviderError::Cut`] when it never completed.
    fn finish(self) -> Result<ChatResponse, ProviderError>;
}

/// Why an attempt failed, and whether another may do better.
enum Failure {
    Retry {
        error: ProviderError,
        retry_after: Option<Duration>,
    },
    Final(ProviderError),
    /// The call spent its whole waiting budget.
    Stalled,
}

fn retry(error: ProviderError) -> Failure {
    Failure::Retry {
        error,
        retry_after: None,
    }
}

/// Errors of a stream: a cut or a stall may go better next time, anything else will not.
fn classify(error: ProviderError) -> Failure {
    match error {
        ProviderError::Cut(_) | ProviderError::Timeout(_) => retry(error),
        other => Failure::Final(other),
    }
}

/// Sends the request `build` makes and reads its server-sent events with `P`, retrying
/// within the policy's attempts, its deadline for waiting and its limit for the step.
pub(crate) async fn stream_call<P: StreamParser>(
    policy: &HttpPolicy,
    url: &str,
    build: impl Fn() -> reqwest::RequestBuilder,
    on_delta: &(dyn Fn(Delta) + Send + Sync),
) -> Result<ChatResponse, ProviderError> {
    let limit = policy.step_timeout;
    match tokio::time::timeout(limit, attempts::<P>(policy, url, &build, on_delta)).await {
        Ok(result) => result,
        Err(_) => Err(ProviderError::StepTimeout(limit)),
    }
}

async fn attempts<P: StreamParser>(
    policy: &HttpPolicy,
    url: &str,
    build: &impl Fn() -> reqwest::RequestBuilder,
    on_delta: &(dyn Fn(Delta) + Send + Sync),
) -> Result<ChatResponse, ProviderError> {
    let mut budget = Budget::new(policy.call_deadline);
    let mut last: Option<ProviderError> = None;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let outcome = match send(policy, url, build, &mut budget).await {
            Ok(response) => read_stream::<P>(response, policy, &mut budget, on_delta).await,
            Err(failure) => Err(failure),
        };
        let (error, retry_after) = match outcome {
            Ok(answer) => return Ok(answer),
            Err(Failure::Final(error)) => return Err(error),
            Err(Failure::Stalled) => return Err(budget.stalled(attempt, last.as_ref())),
            Err(Failure::Retry { error, retry_after }) => (error, retry_after),
        };
        if attempt >= policy.max_attempts {
            return Err(error);
        }
        let wait = retry_after
            .map(|d| d.min(policy.max_retry_after))
            .unwrap_or_else(|| backoff(policy, attempt));
        if wait >= budget.remaining() {
            return Err(budget.stalled(attempt, Some(&error)));
        }
        tracing::info!(
            url,
            attempt,
            wait_ms = wait.as_millis() as u64,
            error = %error,
            "retrying the provider"
        );
        on_delta(Delta::Retrying {
            attempt: attempt + 1,
            max_attempts: policy.max_attempts,
            reason: error.short_reason(),
            wait,
        });
        tokio::time::sleep(wait).await;
        budget.spend(wait);
        last = Some(error);
    }
}

/// Sends the request and waits for a successful status.
async fn send(
    policy: &HttpPolicy,
    url: &str,
    build: &impl Fn() -> reqwest::RequestBuilder,
    budget: &mut Budget,
) -> Result<reqwest::Response, Failure> {
    let sent = match budget.wait(policy.request_timeout, build().send()).await {
        Waited::Done(sent) => sent,
        Waited::TimedOut => return Err(retry(ProviderError::Timeout(policy.request_timeout))),
        Waited::Stalled => return Err(Failure::Stalled),
    };
    let response = match sent {
        Ok(response) => response,
        Err(e) => {
            let retryable = e.is_connect() || e.is_timeout() || e.is_request();
            let error = ProviderError::Connection {
                url: url.to_owned(),
                message: e.to_string(),
            };
            return Err(if retryable {
                retry(error)
            } else {
                Failure::Final(error)
            });
        }
    };
    if response.status().is_success() {
        return Ok(response);
    }
    let status = response.status().as_u16();
    let retry_after = retry_after(&response);
    // An error body that never ends must not hold the call: it only adds detail.
    let body = match budget.wait(policy.request_timeout, response.text()).await {
        Waited::Done(Ok(body)) => body,
        _ => String::new(),
    };
    let error = ProviderError::Http {
        status,
        message: error_message(&body),
    };
    if status == 429 || status >= 500 {
        Err(Failure::Retry { error, retry_after })
    } else {
        Err(Failure::Final(error))
    }
}

/// Reads a successful response's events to the end of the answer.
async fn read_stream<P: StreamParser>(
    response: reqwest::Response,
    policy: &HttpPolicy,
    budget: &mut Budget,
    on_delta: &(dyn Fn(Delta) + Send + Sync),
) -> Result<ChatResponse, Failure> {
    let mut parser = P::default();
    let mut reader = SseReader::default();
    let mut stream = response.bytes_stream();
    let mut received = 0usize;
    loop {
        let next = if received == 0 {
            // Until its first bytes the provider has not really answered: that wait
            // counts against the call's deadline.
            match budget.wait(policy.idle_timeout, stream.next()).await {
                Waited::Done(next) => next,
                Waited::TimedOut => return Err(retry(ProviderError::Timeout(policy.idle_timeout))),
                Waited::Stalled => return Err(Failure::Stalled),
            }
        } else {
            // Pauses of a flowing stream are free; one that outlasts the idle timeout (or
            // what is left of the deadline) is a stall and counts.
            let limit = policy.idle_timeout.min(budget.remaining());
            match tokio::time::timeout(limit, stream.next()).await {
                Ok(next) => next,
                Err(_) if limit < policy.idle_timeout => {
                    budget.spend(limit);
                    return Err(Failure::Stalled);
                }
                Err(_) => {
                    budget.spend(limit);
                    return Err(retry(ProviderError::Cut(format!(
                        "nothing arrived for {:?} after {received} bytes",
                        policy.idle_timeout
                    ))));
                }
            }
        };
        match next {
            Some(Ok(bytes)) => {
                received += bytes.len();
                for event in reader.push(&bytes) {
                    if parser.event(&event.data, on_delta).map_err(classify)? {
                        return parser.finish().map_err(classify);
                    }
                }
            }
            Some(Err(e)) => {
                return Err(retry(ProviderError::Cut(format!(
                    "the connection failed after {received} bytes: {e}"
                ))))
            }
            // A body that ends is complete only if the parser saw the final event.
            None => return parser.finish().map_err(classify),
        }
    }
}

/// Time one call has spent waiting on its provider (for headers, for a stream's first
/// bytes, on a stalled stream, between attempts), against its deadline.
struct Budget {
    deadline: Duration,
    spent: Duration,
}

enum Waited<T> {
    Done(T),
    /// The wait's own limit passed.
    TimedOut,
    /// The call's deadline passed.
    Stalled,
}

impl Budget {
    fn new(deadline: Duration) -> Self {
        Self {
            deadline,
            spent: Duration::ZERO,
        }
    }

    fn remaining(&self) -> Duration {
        self.deadline.saturating_sub(self.spent)
    }

    fn spend(&mut self, time: Duration) {
        self.spent = self.spent.saturating_add(time);
    }

    /// Awaits `future` for at most `limit` and what is left of the deadline.
    async fn wait<F: Future>(&mut self, limit: Duration, future: F) -> Waited<F::Output> {
        let remaining = self.remaining();
        let started = Instant::now();
        let result = tokio::time::timeout(limit.min(remaining), future).await;
        self.spend(started.elapsed());
        match result {
            Ok(output) => Waited::Done(output),
            Err(_) if limit < remaining => Waited::TimedOut,
            Err(_) => Waited::Stalled,
        }
    }

    fn stalled(&self, attempts: u32, last: Option<&ProviderError>) -> ProviderError {
        ProviderError::Stalled {
            waited: self.spent,
            attempts,
            last: last
                .map(|e| format!(" (the last: {e})"))
                .unwrap_or_default(),
        }
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
        .filter(|s| s.is_finite() && *s >= 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
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
