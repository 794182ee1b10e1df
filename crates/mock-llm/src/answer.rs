//! How a decided answer goes out on the wire: a JSON body, a paced event stream, or nothing.

use std::collections::VecDeque;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::wire::Protocol;

/// What to send for one request, decided while the script was locked.
#[derive(Debug)]
pub(crate) enum Answer {
    Json {
        status: u16,
        body: Value,
        retry_after: Option<u64>,
    },
    /// Frames sent one by one; with `cut_after`, the connection drops after that many.
    Stream {
        content_type: &'static str,
        frames: Vec<String>,
        cut_after: Option<usize>,
        chunk_delay_ms: u64,
    },
    /// Never answer: wait until the client goes away (its future is dropped) or the server stops.
    Hang,
}

impl Answer {
    pub fn status(&self) -> u16 {
        match self {
            Answer::Json { status, .. } => *status,
            Answer::Stream { .. } => 200,
            Answer::Hang => 0,
        }
    }

    /// Waits `delay_ms`, then sends; a server stopping meanwhile answers 503 instead.
    pub async fn send(
        self,
        delay_ms: u64,
        protocol: Protocol,
        stop: CancellationToken,
    ) -> Response {
        let stopping = || {
            json_response(
                503,
                &protocol.error_body(503, "mock server is shutting down"),
                None,
            )
        };
        if delay_ms > 0 {
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(delay_ms)) => {}
                () = stop.cancelled() => return stopping(),
            }
        }
        match self {
            Answer::Json {
                status,
                body,
                retry_after,
            } => json_response(status, &body, retry_after),
            Answer::Hang => {
                stop.cancelled().await;
                stopping()
            }
            Answer::Stream {
                content_type,
                frames,
                cut_after,
                chunk_delay_ms,
            } => {
                let paced = Paced {
                    frames: frames.into(),
                    sent: 0,
                    cut_after,
                    delay: Duration::from_millis(chunk_delay_ms),
                    stop,
                    done: false,
                };
                let body = Body::from_stream(futures_util::stream::unfold(paced, Paced::next));
                let mut response = body.into_response();
                let headers = response.headers_mut();
                headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                response
            }
        }
    }
}

pub(crate) fn json_response(status: u16, body: &Value, retry_after: Option<u64>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(seconds) = retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// How long a cut stream pauses before dropping the connection.
const FLUSH_PAUSE: Duration = Duration::from_millis(20);

/// The state of a stream being sent.
struct Paced {
    frames: VecDeque<String>,
    sent: usize,
    cut_after: Option<usize>,
    delay: Duration,
    stop: CancellationToken,
    done: bool,
}

impl Paced {
    /// The next frame; an `Err` makes the server drop the connection mid-body, as a cut does.
    async fn next(mut self) -> Option<(Result<Bytes, std::io::Error>, Paced)> {
        if self.done {
            return None;
        }
        if self.cut_after == Some(self.sent) {
            self.done = true;
            // Hyper drops its unflushed buffer on a body error; pausing first lets the
            // frames before the cut reach the client, as they would from a real provider.
            tokio::time::sleep(FLUSH_PAUSE).await;
            return Some((Err(cut("the script cut the stream here")), self));
        }
        let frame = self.frames.pop_front()?;
        if self.sent > 0 && !self.delay.is_zero() {
            tokio::select! {
                () = tokio::time::sleep(self.delay) => {}
                () = self.stop.cancelled() => {
                    self.done = true;
                    return Some((Err(cut("the mock server is shutting down")), self));
                }
            }
        }
        self.sent += 1;
        Some((Ok(Bytes::from(frame)), self))
    }
}

fn cut(why: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::ConnectionAborted, why.to_owned())
}
